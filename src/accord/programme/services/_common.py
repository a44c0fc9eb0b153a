"""Checks and cleaners every part of the programme's services shares."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from django.utils import timezone

from accord.core.errors import Forbidden, ValidationFailed
from accord.core.guards import invalid
from accord.core.models import Organisation, User
from accord.core.roles import Perm, has_perm
from accord.programme.choices import (
    CEFR_LEVELS,
)
from accord.programme.models import (
    Skill,
)

# --- Shared checks --------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _may_act_for(actor: User | None, organisation: Organisation) -> None:
    """Programme managers act for anyone; partner contributors for their own organisation."""
    if actor is None or has_perm(actor, Perm.PROGRAMME_MANAGE):
        return
    if has_perm(actor, Perm.PROGRAMME_CONTRIBUTE) and actor.organisation_id == organisation.pk:
        return
    raise Forbidden(f"Your role does not allow this for {organisation.name} ({Perm.PROGRAMME_CONTRIBUTE}).")


def _text(field: str, value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(field, f"give {what}.", "Required.")
    return value


def _clean_skills(field: str, skills: Any) -> dict[str, int]:
    """Skill code → level 1–5; every code must be in the managed vocabulary."""
    if not isinstance(skills, dict) or not skills:
        raise invalid(field, "name at least one skill with a level.", 'An object like {"osint": 3}.')
    known = set(Skill.objects.filter(code__in=list(skills)).values_list("code", flat=True))
    clean: dict[str, int] = {}
    for code, level in skills.items():
        if code not in known:
            raise ValidationFailed(
                f"{field}: '{code}' is not a skill of the vocabulary; a programme manager adds new skills.",
                details={field: [f"Unknown skill '{code}'. Known: {', '.join(_skill_codes())}."]},
                code="unknown_skill",
            )
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise invalid(field, f"the level of '{code}' must be a whole number from 1 to 5, not {level!r}.", "1–5.")
        clean[code] = level
    return dict(sorted(clean.items()))


def _skill_codes() -> list[str]:
    return list(Skill.objects.order_by("code").values_list("code", flat=True))


def _clean_languages(field: str, languages: Any) -> list[dict[str, str]]:
    """``[{"language": ISO 639-1, "proficiency": CEFR}]``, one entry per language."""
    if not isinstance(languages, list):
        raise invalid(field, "expected a list.", 'A list like [{"language": "en", "proficiency": "C1"}].')
    clean: dict[str, str] = {}
    for entry in languages:
        if not isinstance(entry, dict):
            raise invalid(field, f"{entry!r} is not a language entry.", '{"language": "en", "proficiency": "C1"}')
        code = _clean_language(field, str(entry.get("language", "")))
        level = str(entry.get("proficiency", "")).upper()
        if level not in CEFR_LEVELS:
            raise invalid(field, f"proficiency '{level}' of '{code}' is not a CEFR level.", ", ".join(CEFR_LEVELS))
        clean[code] = level
    return [{"language": code, "proficiency": level} for code, level in sorted(clean.items())]


def _clean_windows(field: str, windows: Any) -> list[dict[str, str]]:
    """Availability windows ``[{"start": date, "end": date}]`` with start ≤ end, sorted."""
    if not isinstance(windows, list):
        raise invalid(field, "expected a list.", 'A list like [{"start": "2027-01-01", "end": "2027-06-30"}].')
    clean = []
    for entry in windows:
        try:
            start = date.fromisoformat(str(entry["start"]))
            end = date.fromisoformat(str(entry["end"]))
        except (KeyError, TypeError, ValueError):
            raise invalid(
                field, f"{entry!r} is not a window with ISO dates.", '{"start": "YYYY-MM-DD", "end": …}'
            ) from None
        if end < start:
            raise invalid(field, f"the window {start} – {end} ends before it starts.", "start ≤ end.")
        clean.append({"start": start.isoformat(), "end": end.isoformat()})
    return sorted(clean, key=lambda w: w["start"])


def _clean_language(field: str, code: str) -> str:
    code = (code or "").lower()
    if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
        raise invalid(field, f"'{code}' is not an ISO 639-1 language code.", "e.g. en, fr, es, ar, pt.")
    return code


def _clean_currency(code: str) -> str:
    code = (code or "").upper()
    if not code:
        raise ValidationFailed(
            "currency: an amount needs its ISO 4217 currency.",
            details={"currency": ["Required: an ISO 4217 code such as EUR, USD, SGD."]},
            code="currency_missing",
        )
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise invalid("currency", f"'{code}' is not an ISO 4217 currency code.", "e.g. EUR, USD, SGD, KES.")
    return code


def _money(field: str, value: Any, *, positive: bool) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise invalid(field, f"{value!r} is not a number.", "A decimal amount such as 25000.00.") from None
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        rule = "greater than zero" if positive else "zero or more"
        raise ValidationFailed(
            f"{field}: the amount must be {rule}, not {value}.",
            details={field: [f"Must be {rule}."]},
            code="negative_amount",
        )
    if amount.as_tuple().exponent < -2 or amount >= Decimal("1e12"):  # type: ignore[operator]
        raise invalid(field, f"{value} has more than two decimals or is too large.", "At most 2 decimals.")
    return amount


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
