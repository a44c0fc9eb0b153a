"""The fields of an interception request checked by the libraries that know them: IBAN checksum
and bank registry (``schwifty``), wallet checksums (the normalisers ingest uses), ISO 4217
currencies (``pycountry``). Each refusal is a 400 naming the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from accord.core.guards import invalid, one_of
from accord.formats.choices import ObservableType
from accord.formats.normalisers import InvalidObservable, normalise
from accord.interception.choices import AccountKind

__all__ = [
    "WALLET_CURRENCIES",
    "Beneficiary",
    "bank_identifier",
    "check_amount",
    "check_beneficiary",
    "check_currency",
    "check_moment",
]

# The wallets Accord's observables know, by the currency a request names.
WALLET_CURRENCIES = {"btc": ObservableType.BTC.value, "eth": ObservableType.ETH.value, "xmr": ObservableType.XMR.value}
_ACCOUNT_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./-]{2,39}")
_MOST = Decimal("99999999999999.99")


@dataclass(frozen=True)
class Beneficiary:
    """The account the money went to, canonical, with what the registries say of its bank."""

    account_kind: str
    iban: str = ""
    account_number: str = ""
    bic: str = ""
    bank_name: str = ""
    account_country: str = ""
    wallet: str = ""
    wallet_currency: str = ""
    exchange: str = ""

    @property
    def observable(self) -> tuple[str, str] | None:
        """The observable the account is (type, canonical value), if Accord knows its kind."""
        if self.account_kind == AccountKind.IBAN:
            return ObservableType.IBAN.value, self.iban
        if self.account_kind == AccountKind.WALLET:
            return WALLET_CURRENCIES[self.wallet_currency], self.wallet
        return None

    def fields(self) -> dict[str, str]:
        return {
            "account_kind": self.account_kind,
            "iban": self.iban,
            "account_number": self.account_number,
            "bic": self.bic,
            "bank_name": self.bank_name,
            "account_country": self.account_country,
            "wallet": self.wallet,
            "wallet_currency": self.wallet_currency,
            "exchange": self.exchange,
        }


def bank_identifier(value: str) -> BIC:
    """A BIC checked by ``schwifty`` (a 400 naming ``bic`` when it is not one)."""
    try:
        return BIC(value.strip().upper())
    except SchwiftyException as exc:
        raise invalid("bic", f"'{value}' is not a valid BIC: {exc}", "8 or 11 characters, e.g. COBADEFFXXX.") from exc


def _bank_name(names: Any) -> str:
    if isinstance(names, list):
        return str(names[0]) if names else ""
    return str(names or "")


def check_beneficiary(
    *,
    account_kind: str,
    iban: str = "",
    account_number: str = "",
    bic: str = "",
    wallet: str = "",
    wallet_currency: str = "",
    exchange: str = "",
) -> Beneficiary:
    """The beneficiary account, checked and made canonical (the bank looked up in ``schwifty``'s
    registry where the IBAN or BIC names one)."""
    one_of("account_kind", account_kind, AccountKind)
    exchange = (exchange or "").strip()[:120]
    if account_kind == AccountKind.IBAN:
        if not (iban or "").strip():
            raise invalid("iban", "the beneficiary's IBAN is required.", "An IBAN, e.g. DE89 3704 0044 0532 0130 00.")
        try:
            parsed = IBAN(iban)
        except SchwiftyException as exc:
            raise invalid("iban", f"'{iban}' is not a valid IBAN: {exc}", "An IBAN with a valid checksum.") from exc
        found = parsed.bic
        if bic.strip():
            found = bank_identifier(bic)
        return Beneficiary(
            account_kind=account_kind,
            iban=parsed.compact,
            bic=str(found) if found else "",
            bank_name=parsed.bank_name or (_bank_name(found.bank_names) if found else ""),
            account_country=parsed.country_code,
        )
    if account_kind == AccountKind.ACCOUNT:
        number = (account_number or "").strip()
        if not _ACCOUNT_NUMBER.fullmatch(number):
            raise invalid(
                "account_number", f"'{number}' is not an account number.", "3 to 40 letters, digits, spaces, . / -."
            )
        if not (bic or "").strip():
            raise invalid("bic", "an account number needs the BIC of its bank.", "8 or 11 characters.")
        parsed_bic = bank_identifier(bic)
        return Beneficiary(
            account_kind=account_kind,
            account_number=number,
            bic=str(parsed_bic),
            bank_name=_bank_name(parsed_bic.bank_names),
            account_country=parsed_bic.country_code,
        )
    currency = (wallet_currency or "").strip().lower()
    if currency not in WALLET_CURRENCIES:
        raise invalid("wallet_currency", f"'{wallet_currency}' is not a wallet currency.", "btc, eth or xmr.")
    try:
        canonical = normalise(WALLET_CURRENCIES[currency], wallet or "")
    except InvalidObservable as exc:
        raise invalid("wallet", str(exc), "An address whose checksum holds.") from exc
    return Beneficiary(account_kind=account_kind, wallet=canonical.value, wallet_currency=currency, exchange=exchange)


def check_amount(field: str, value: Any) -> Decimal:
    """A positive amount with at most two decimals."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(field, f"'{value}' is not an amount.", "A positive amount, e.g. 48500.00.") from None
    if not amount.is_finite() or amount <= 0:
        raise invalid(field, f"{value} is not a positive amount.", "More than zero.")
    if amount > _MOST or amount != amount.quantize(Decimal("0.01")):
        raise invalid(field, f"{value} has more than two decimals or is too large.", "At most 99999999999999.99.")
    return amount


def check_currency(field: str, value: str) -> str:
    """An ISO 4217 currency code, upper-cased."""
    code = (value or "").strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise invalid(field, f"'{value}' is not an ISO 4217 currency.", "e.g. EUR, USD, GBP, KES.")
    return code


def check_moment(field: str, value: datetime | None, now: datetime) -> datetime:
    """A time that has happened (with its zone)."""
    if value is None:
        raise invalid(field, "the time of the transfer is required.", "An ISO 8601 date-time.")
    if value.tzinfo is None:
        raise invalid(field, "give the time with its zone.", "e.g. 2026-05-04T09:30:00Z.")
    if value > now:
        raise invalid(field, f"{value.isoformat()} is in the future.", "A time that has passed.")
    return value
