"""Helpers shared by the governance services: permission check, audit, field checks."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from accord.core.audit import audit_record
from accord.core.checks import invalid, require
from accord.core.models import User
from accord.core.regions import COUNTRY_REGION
from accord.core.roles import Perm


def _manage(actor: User | None) -> None:
    require(actor, Perm.GOVERNANCE_MANAGE)


def _audit(actor: User | None, action: str, obj: Model, **details: Any) -> None:
    audit_record(actor=actor, action=f"governance.{action}", obj=obj, details=details)


def _country(field: str, value: str, *, blank: bool = False) -> str:
    value = (value or "").upper()
    if blank and not value:
        return ""
    if value not in COUNTRY_REGION:
        raise invalid(field, f"'{value}' is not an ISO 3166-1 alpha-2 code.", "e.g. KE, BR, SG, FR, JO.")
    return value


def _text(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(field, "this field is required.", "Required.")
    return value


def _strings(field: str, values: Any) -> list[str]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise invalid(field, "expected a list of texts.", "A list of texts.")
    return [v.strip() for v in values if v.strip()]


def _move(field: str, current: str, to: str, transitions: dict[str, tuple[str, ...]], what: str) -> None:
    allowed = transitions[current]
    if to not in allowed:
        raise invalid(
            field,
            f"a {what} that is {current} cannot go to {to}; allowed: {', '.join(allowed) or 'nothing (final)'}.",
            f"Allowed from {current}: {', '.join(allowed) or 'none'}.",
        )
