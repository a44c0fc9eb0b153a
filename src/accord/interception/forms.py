"""Forms of the interception pages: they check shape; the services check the fields with their
libraries and name the one at fault, which the page shows next to it."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.interception.beneficiary import WALLET_CURRENCIES
from accord.interception.choices import AccountKind, OutcomeKind
from accord.operations.choices import CrimeType

__all__ = ["LookupForm", "OutcomeForm", "RaiseForm", "WithdrawForm"]

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"})
WALLETS = [("", "—"), *((code, code.upper()) for code in WALLET_CURRENCIES)]


class BeneficiaryFields(forms.Form):
    account_kind = forms.ChoiceField(choices=AccountKind.choices, label="The beneficiary is")
    iban = forms.CharField(required=False, max_length=64, label="IBAN")
    account_number = forms.CharField(required=False, max_length=64, label="Account number")
    bic = forms.CharField(
        required=False, max_length=16, label="BIC", help_text="With an account number; optional with an IBAN."
    )
    wallet = forms.CharField(required=False, max_length=200, label="Wallet address")
    wallet_currency = forms.ChoiceField(choices=WALLETS, required=False, label="Wallet currency")
    exchange = forms.CharField(required=False, max_length=120, label="Exchange")


class RaiseForm(BeneficiaryFields):
    amount = forms.CharField(max_length=40, help_text="e.g. 48500.00")
    currency = forms.CharField(max_length=8, help_text="ISO 4217, e.g. EUR")
    transferred_at = forms.DateTimeField(widget=MOMENT, label="Transfer made at")
    victim_bank = forms.CharField(required=False, max_length=200, label="Victim's bank")
    crime_type = forms.ChoiceField(choices=CrimeType.choices, initial=CrimeType.BEC)
    case_reference = forms.CharField(max_length=80, label="Your case reference")
    legal_basis = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(choices=OutcomeKind.choices, label="Outcome")
    amount = forms.CharField(required=False, max_length=40, help_text="For frozen, recalled, gone.")
    currency = forms.CharField(required=False, max_length=8, help_text="Empty: the request's currency.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class OnwardForm(BeneficiaryFields):
    """Where the funds went (with an outcome 'gone'): it raises the next request."""

    account_kind = forms.ChoiceField(choices=[("", "—"), *AccountKind.choices], required=False, label="Onward to")
    transferred_at = forms.DateTimeField(widget=MOMENT, required=False, label="Left onward at")

    def onward(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("account_kind"):
            return None
        return dict(data)


class WithdrawForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class OperationForm(forms.Form):
    operation = forms.IntegerField(required=False, min_value=1, label="Operation id", help_text="Empty unlinks.")


class LookupForm(forms.Form):
    """The bank directory's question: who would receive a request for this account?"""

    account = forms.CharField(
        max_length=120,
        label="IBAN, BIC or exchange",
        help_text="e.g. DE89 3704 0044 0532 0130 00, COBADEFFXXX or an exchange's name.",
    )
