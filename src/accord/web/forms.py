"""Forms of the shared UI: shape checks only; rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accord.core.choices import TokenScope
from accord.core.ratelimit import client_ip, login_locked
from accord.core.roles import allowed_scopes
from accord.core.services import MAX_TOKEN_DAYS

__all__ = ["SecondFactorCodeForm", "SecondFactorResetForm", "SignInForm", "TokenIssueForm"]


class SignInForm(AuthenticationForm):
    """Django's sign-in form, saying so when sign-in is locked for failing too often (the
    password is then not checked at all). ``locked`` tells the page which message to show."""

    locked = False

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        if self.request is not None and login_locked(username, client_ip(self.request)):
            self.locked = True
            raise forms.ValidationError(
                "Too many failed sign-ins for this account or from this address: sign-in is locked "
                "for up to an hour. Ask an administrator if you need in sooner.",
                code="locked",
            )
        return super().clean()


class TokenIssueForm(forms.Form):
    """Offers only the scopes the person's role may hold; the service checks again."""

    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'SIEM feed'.")
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple, initial=[TokenScope.READ]
    )
    days = forms.IntegerField(min_value=1, max_value=MAX_TOKEN_DAYS, initial=90, label="Valid for (days)")

    def __init__(self, *args: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        permitted = allowed_scopes(role)
        field = self.fields["scopes"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - declared above
        field.choices = [(value, label) for value, label in TokenScope.choices if value in permitted]


class SecondFactorCodeForm(forms.Form):
    """A code from one's authenticator app (6 digits) or one of one's recovery codes."""

    code = forms.CharField(
        max_length=40,
        label="Code",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
    )


class SecondFactorResetForm(forms.Form):
    """Why an administrator removes someone's authenticator (kept in the audit log)."""

    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="E.g. 'phone lost, confirmed by phone call'.",
    )
