"""Service guards: the checks every service starts with (may this actor do it, is this value
one we take). Not Django system checks (those are ``checks.register`` functions run by
``manage.py check``); these run on every call of a service.

Each raises an :class:`~accord.core.errors.ApplicationError` whose message names the field and
what was expected, so the API, UI and CLI say the same thing.
"""

from __future__ import annotations

from typing import Any

from accord.core.errors import Forbidden, ValidationFailed
from accord.core.regions import COUNTRY_REGION
from accord.core.roles import Perm, has_perm

__all__ = ["all_of", "country", "flag", "invalid", "one_of", "require", "required_text", "texts"]

_YES, _NO = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def require(actor: Any, perm: Perm) -> None:
    """The actor's role must grant ``perm``; a system action (``actor=None``: CLI bootstrap, demo,
    scheduled job) is trusted."""
    if actor is not None and not has_perm(actor, perm):
        raise Forbidden(f"Your role does not allow this ({perm}).")


def invalid(field: str, message: str, expected: str | None = None) -> ValidationFailed:
    """A validation error on ``field``: the message says what is wrong, ``expected`` what would do."""
    return ValidationFailed(f"{field}: {message}", details={field: [expected or message]})


def one_of(field: str, value: Any, choices: Any, *, blank: bool = False) -> None:
    """``value`` must be one of the ``TextChoices`` (or empty, when ``blank``)."""
    if blank and value in ("", None):
        return
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise invalid(field, f"'{value}' is not one of {allowed}.", f"Expected one of: {allowed}.")


def all_of(field: str, values: Any, choices: Any, *, required: bool = True) -> list[str]:
    """A list of choices, deduplicated and sorted; empty only when not ``required``."""
    allowed = ", ".join(choices.values)
    if not isinstance(values, list | tuple):
        raise invalid(field, "expected a list.", f"A list of: {allowed}.")
    if required and not values:
        raise invalid(field, "name at least one.", f"One or more of: {allowed}.")
    for value in values:
        one_of(field, value, choices)
    return sorted(set(values))


def required_text(field: str, value: str) -> str:
    """A text that must not be blank, stripped."""
    value = (value or "").strip()
    if not value:
        raise invalid(field, "this field is required.", "Required.")
    return value


def texts(field: str, values: Any) -> list[str]:
    """A list of texts, stripped, the blank ones left out."""
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise invalid(field, "expected a list of texts.", "A list of texts.")
    return [v.strip() for v in values if v.strip()]


def country(field: str, value: str, *, blank: bool = False) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased (or empty, when ``blank``)."""
    value = (value or "").upper()
    if blank and not value:
        return ""
    if value not in COUNTRY_REGION:
        raise invalid(field, f"'{value}' is not an ISO 3166-1 alpha-2 code.", "e.g. KE, BR, SG, FR, JO.")
    return value


def flag(field: str, value: str | None) -> bool:
    """A yes/no option of a request (``?strict=true``): ``true``/``1``/``yes``/``on``, or
    ``false``/``0``/``no``/``off``, in any case; absent or empty is no."""
    text = (value or "").strip().lower()
    if text in _NO:
        return False
    if text in _YES:
        return True
    raise invalid(field, f"'{value}' is not true or false.", "true or false.")
