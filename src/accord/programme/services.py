"""Every change to secondment and training: experts, requests, placements and their daily
housekeeping; courses, sessions, sponsorships, officers, enrolments and certificates.

Keyword-only, atomic, role-checked, audited. API, UI, CLI and the daily job call these; every
business rule of the programme is written here once.
"""

from __future__ import annotations

import calendar
import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accord.core.audit import audit_record
from accord.core.checks import all_of, invalid, one_of, require
from accord.core.choices import OrganisationKind, OrganisationStatus, Region, Role
from accord.core.errors import Conflict, Forbidden, ValidationFailed
from accord.core.mail import mail_after_commit
from accord.core.models import Organisation, User
from accord.core.regions import COUNTRY_REGION, region_for
from accord.core.roles import Perm, has_perm
from accord.partners.choices import AgreementKind, AgreementStatus
from accord.partners.models import Agreement
from accord.partners.services import _create_numbered
from accord.programme.choices import (
    CEFR_LEVELS,
    HOLDING_STATUSES,
    SEAT_HOLDING,
    SECONDMENT_TRANSITIONS,
    ClearanceLevel,
    CourseLevel,
    DeliveryMode,
    EnrolmentStatus,
    InKindItem,
    RequestStatus,
    SecondmentPurpose,
    SecondmentStatus,
    SponsorshipKind,
)
from accord.programme.models import (
    Certificate,
    Course,
    Enrolment,
    Expert,
    Officer,
    Secondment,
    SecondmentRequest,
    Skill,
    Sponsorship,
    TrainingSession,
)

__all__ = [
    "add_months",
    "agreement_covers",
    "certificate_revoke",
    "course_create",
    "course_update",
    "covering_agreement",
    "enrolment_complete",
    "enrolment_confirm",
    "enrolment_nominate",
    "enrolment_record_attendance",
    "enrolment_withdraw",
    "expert_create",
    "expert_update",
    "officer_create",
    "request_create",
    "request_set_status",
    "secondment_propose",
    "secondment_transition",
    "secondments_daily",
    "session_cancel",
    "session_create",
    "skill_create",
    "sponsorship_create",
]


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


def _clean_country(field: str, code: str) -> str:
    code = (code or "").upper()
    if code not in COUNTRY_REGION:
        raise invalid(field, f"'{code}' is not an ISO 3166-1 alpha-2 code.", "e.g. KE, BR, SG, FR, JO.")
    return code


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


def _overlaps(start: date, end: date, other_start: date, other_end: date) -> bool:
    return start <= other_end and other_start <= end


# --- Skills and experts ---------------------------------------------------------------------------


@transaction.atomic
def skill_create(*, actor: User | None, code: str, label: str, description: str = "") -> Skill:
    """Add a term to the managed skills vocabulary (programme managers)."""
    require(actor, Perm.PROGRAMME_MANAGE)
    code = slugify(_text("code", code, "a short code")).replace("-", "_")
    if not code:
        raise invalid("code", "a skill code needs letters or digits.", "e.g. cloud_forensics.")
    label = _text("label", label, "a label")
    if Skill.objects.filter(code=code).exists() or Skill.objects.filter(label__iexact=label).exists():
        raise Conflict(f"code: the skill '{code}' ({label}) exists already.", details={"code": ["Exists."]})
    skill = Skill.objects.create(code=code, label=label, description=description.strip())
    audit_record(actor=actor, action="skill.create", obj=skill, details={"code": code, "label": label})
    return skill


def _expert_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the fields of an expert profile present in ``data``."""
    clean: dict[str, Any] = {}
    if "full_name" in data:
        clean["full_name"] = _text("full_name", data["full_name"], "the expert's name")
    if "email" in data:
        clean["email"] = _text("email", data["email"], "the expert's e-mail address")
    if "job_title" in data:
        clean["job_title"] = (data["job_title"] or "").strip()
    if "skills" in data:
        clean["skills"] = _clean_skills("skills", data["skills"])
    if "languages" in data:
        clean["languages"] = _clean_languages("languages", data["languages"])
    if "availability" in data:
        clean["availability"] = _clean_windows("availability", data["availability"])
    if "clearance_level" in data:
        one_of("clearance_level", data["clearance_level"], ClearanceLevel)
        clean["clearance_level"] = data["clearance_level"]
    if "clearance_expires" in data:
        clean["clearance_expires"] = data["clearance_expires"]
    if "is_active" in data:
        clean["is_active"] = bool(data["is_active"])
    if "person" in data:
        clean["person"] = data["person"]
    return clean


def _check_clearance(level: str, expires: date | None) -> None:
    if level != ClearanceLevel.NONE and expires is None:
        raise invalid("clearance_expires", f"a {level} clearance needs its expiry date.", "YYYY-MM-DD.")


@transaction.atomic
def expert_create(
    *,
    actor: User | None,
    organisation: Organisation,
    full_name: str,
    email: str,
    skills: dict[str, int],
    languages: list[dict[str, str]] | None = None,
    clearance_level: str = ClearanceLevel.NONE,
    clearance_expires: date | None = None,
    availability: list[dict[str, str]] | None = None,
    job_title: str = "",
    person: User | None = None,
) -> Expert:
    """Add an expert profile to an organisation: its own contributors, or a programme manager."""
    _may_act_for(actor, organisation)
    if organisation.kind == OrganisationKind.INTERNATIONAL_ORG and organisation.is_host:
        raise invalid("organisation", "experts are seconded by partners or national units, not the host.")
    if person is not None and person.organisation_id != organisation.pk:
        raise invalid("person", f"{person.username} is not of {organisation.name}.")
    fields = _expert_fields(
        {
            "full_name": full_name,
            "email": email,
            "job_title": job_title,
            "skills": skills,
            "languages": languages or [],
            "availability": availability or [],
            "clearance_level": clearance_level,
            "clearance_expires": clearance_expires,
        }
    )
    _check_clearance(fields["clearance_level"], fields["clearance_expires"])
    expert = Expert.objects.create(organisation=organisation, person=person, **fields)
    audit_record(
        actor=actor,
        action="expert.create",
        obj=expert,
        organisation=organisation,
        details={"name": expert.full_name, "skills": expert.skills, "clearance": expert.clearance_level},
    )
    return expert


@transaction.atomic
def expert_update(*, actor: User | None, expert: Expert, **changes: Any) -> Expert:
    """Change an expert's profile (skills, languages, clearance, availability, activity)."""
    expert = Expert.objects.select_for_update().get(pk=expert.pk)
    _may_act_for(actor, expert.organisation)
    unknown = set(changes) - {
        "full_name",
        "email",
        "job_title",
        "skills",
        "languages",
        "availability",
        "clearance_level",
        "clearance_expires",
        "is_active",
    }
    if unknown:
        raise invalid(sorted(unknown)[0], "is not a field of an expert profile.")
    fields = _expert_fields(changes)
    level = fields.get("clearance_level", expert.clearance_level)
    expires = fields.get("clearance_expires", expert.clearance_expires)
    _check_clearance(level, expires)
    for name, value in fields.items():
        setattr(expert, name, value)
    if "clearance_expires" in fields:
        expert.clearance_warned_for = None  # a renewed clearance is warned about afresh
    expert.save()
    audit_record(
        actor=actor,
        action="expert.update",
        obj=expert,
        organisation=expert.organisation,
        details={name: (str(value) if isinstance(value, date) else value) for name, value in fields.items()},
    )
    return expert


# --- Secondment requests --------------------------------------------------------------------------


@transaction.atomic
def request_create(
    *,
    actor: User | None,
    title: str,
    unit: str,
    project: str,
    purpose: str,
    location_city: str,
    location_country: str,
    start: date,
    end: date,
    required_skills: dict[str, int],
    languages: list[dict[str, str]] | None = None,
    clearance: str = ClearanceLevel.NONE,
    description: str = "",
) -> SecondmentRequest:
    """The programme asks for an expert (programme managers)."""
    require(actor, Perm.PROGRAMME_MANAGE)
    one_of("purpose", purpose, SecondmentPurpose)
    one_of("clearance", clearance, ClearanceLevel)
    if end < start:
        raise invalid("end", f"the period ends ({end}) before it starts ({start}).", "end ≥ start.")
    if start < _today():
        raise invalid("start", f"{start} is in the past.", "Today or later.")
    _check_duration(start, end)
    request = _create_numbered(  # type: ignore[type-var]  # any model with a unique reference
        SecondmentRequest,
        "SRQ",
        title=_text("title", title, "a title"),
        unit=_text("unit", unit, "the unit"),
        project=_text("project", project, "the project or operation"),
        purpose=purpose,
        location_city=_text("location_city", location_city, "the city"),
        location_country=_clean_country("location_country", location_country),
        start=start,
        end=end,
        required_skills=_clean_skills("required_skills", required_skills),
        languages=_clean_languages("languages", languages or []),
        clearance=clearance,
        description=description.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="secondment_request.create",
        obj=request,
        details={"reference": request.reference, "purpose": purpose, "start": str(start), "end": str(end)},
    )
    return request


@transaction.atomic
def request_set_status(
    *, actor: User | None, request: SecondmentRequest, status: str, reason: str = ""
) -> SecondmentRequest:
    """Close a request (or reopen it) by hand; approval of a placement fills it."""
    require(actor, Perm.PROGRAMME_MANAGE)
    one_of("status", status, RequestStatus)
    request = SecondmentRequest.objects.select_for_update().get(pk=request.pk)
    before = request.status
    if before == status:
        return request
    request.status = status
    request.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="secondment_request.status",
        obj=request,
        justification=reason,
        details={"from": before, "to": status},
    )
    return request


# --- Secondments ----------------------------------------------------------------------------------


def _check_duration(start: date, end: date) -> None:
    months = settings.ACCORD_SECONDMENT_MAX_MONTHS
    if end >= add_months(start, months):
        raise ValidationFailed(
            f"end: a secondment lasts at most {months} months; {start} – {end} is longer.",
            details={"end": [f"At most {months} months (until {add_months(start, months)} exclusive)."]},
            code="too_long",
        )


def covering_agreement(organisation: Organisation, kind: str, start: date, end: date) -> Agreement | None:
    """The organisation's active agreement of ``kind`` in force on every day from ``start`` to
    ``end``, if any (its window begins on or before ``start`` and ends after ``end``)."""
    candidates = Agreement.objects.filter(
        organisation=organisation, kind=kind, status=AgreementStatus.ACTIVE
    ).select_related("current_version")
    return next((agreement for agreement in candidates if agreement_covers(agreement, start, end)), None)


def agreement_covers(agreement: Agreement, start: date, end: date) -> bool:
    """Whether an active agreement's current window holds every day from ``start`` to ``end``."""
    version = agreement.current_version
    if agreement.status != AgreementStatus.ACTIVE or version is None:
        return False
    if timezone.localdate(version.valid_from) > start:
        return False
    return version.valid_until is None or timezone.localdate(version.valid_until) > end


def _check_placement(
    expert: Expert, request: SecondmentRequest, start: date, end: date, exclude: Any = None
) -> Agreement:
    """Every rule of a placement; the covering agreement when they all hold."""
    if end < start:
        raise invalid("end", f"the period ends ({end}) before it starts ({start}).", "end ≥ start.")
    if start < request.start or end > request.end:
        raise ValidationFailed(
            f"start: the period {start} – {end} must lie within the request's {request.start} – {request.end}.",
            details={"start": [f"Within {request.start} – {request.end}."]},
            code="outside_request",
        )
    _check_duration(start, end)
    if not expert.is_active:
        raise invalid("expert", f"{expert.full_name}'s profile is inactive.")
    organisation = expert.organisation
    if organisation.status != OrganisationStatus.ACTIVE:
        raise ValidationFailed(
            f"expert: {organisation.name} is {organisation.status}, not an active partner.",
            details={"expert": ["The sending organisation must be active."]},
            code="organisation_inactive",
        )
    agreement = covering_agreement(organisation, AgreementKind.SECONDMENT, start, end)
    if agreement is None:
        raise ValidationFailed(
            f"agreement: {organisation.name} holds no active secondment agreement in force for the whole "
            f"period {start} – {end}.",
            details={"agreement": ["An active secondment agreement covering the whole period."]},
            code="no_covering_agreement",
        )
    if request.clearance != ClearanceLevel.NONE:
        if ClearanceLevel.rank(expert.clearance_level) < ClearanceLevel.rank(request.clearance):
            raise ValidationFailed(
                f"clearance: {expert.full_name} holds {expert.clearance_level}; the request needs {request.clearance}.",
                details={"clearance": [f"At least {request.clearance}."]},
                code="clearance_insufficient",
            )
        if not expert.clearance_valid_through(end):
            raise ValidationFailed(
                f"clearance: {expert.full_name}'s clearance expires on {expert.clearance_expires}, before the end "
                f"of the placement ({end}).",
                details={"clearance": [f"Valid until at least {end}."]},
                code="clearance_expired",
            )
    clash = (
        Secondment.objects.filter(expert=expert, status__in=HOLDING_STATUSES, start__lte=end, end__gte=start)
        .exclude(pk=exclude)
        .first()
    )
    if clash is not None:
        raise ValidationFailed(
            f"expert: {expert.full_name} is already placed ({clash.reference}, {clash.status}) from {clash.start} "
            f"to {clash.end}, which overlaps {start} – {end}.",
            details={"expert": [f"Overlaps {clash.reference}."]},
            code="overlapping_placement",
        )
    return agreement


@transaction.atomic
def secondment_propose(
    *,
    actor: User | None,
    request: SecondmentRequest,
    expert: Expert,
    start: date | None = None,
    end: date | None = None,
) -> Secondment:
    """Propose an expert for an open request (the request's whole period unless given): the
    expert's organisation (its contributors) or a programme manager."""
    _may_act_for(actor, expert.organisation)
    expert = Expert.objects.select_for_update().select_related("organisation").get(pk=expert.pk)
    request = SecondmentRequest.objects.get(pk=request.pk)
    if request.status != RequestStatus.OPEN:
        raise invalid("request", f"{request.reference} is {request.status}; experts are proposed for open requests.")
    start, end = start or request.start, end or request.end
    agreement = _check_placement(expert, request, start, end)
    secondment = _create_numbered(  # type: ignore[type-var]  # any model with a unique reference
        Secondment,
        "PLC",
        expert=expert,
        request=request,
        organisation=expert.organisation,
        agreement=agreement,
        start=start,
        end=end,
        proposed_by=actor,
    )
    audit_record(
        actor=actor,
        action="secondment.propose",
        obj=secondment,
        organisation=expert.organisation,
        details={
            "reference": secondment.reference,
            "request": request.reference,
            "expert": expert.pk,
            "agreement": agreement.reference,
            "start": str(start),
            "end": str(end),
        },
    )
    return secondment


@transaction.atomic
def secondment_transition(
    *, actor: User | None, secondment: Secondment, to: str, reason: str = "", today: date | None = None
) -> Secondment:
    """Move a placement ``proposed → approved → active → completed``, or cancel it.

    Approval (programme managers) checks every rule again and fills the request; ``active``
    needs the start date reached and ``completed`` the end date; a cancellation needs a
    reason and may come from the sending organisation too.
    """
    secondment = (
        Secondment.objects.select_for_update(of=("self",))
        .select_related("expert__organisation", "request")
        .get(pk=secondment.pk)
    )
    if to == SecondmentStatus.CANCELLED:
        _may_act_for(actor, secondment.organisation)
    else:
        require(actor, Perm.PROGRAMME_MANAGE)
    one_of("to", to, SecondmentStatus)
    allowed = SECONDMENT_TRANSITIONS[secondment.status]
    if to not in allowed:
        raise invalid(
            "to",
            f"{secondment.reference} is {secondment.status} and cannot become {to}; "
            f"allowed: {', '.join(allowed) or 'nothing (final)'}.",
            f"Allowed from {secondment.status}: {', '.join(allowed) or 'none'}.",
        )
    today = today or _today()
    if to == SecondmentStatus.APPROVED:
        secondment.agreement = _check_placement(
            secondment.expert, secondment.request, secondment.start, secondment.end, exclude=secondment.pk
        )
        secondment.decided_by = actor
        request = secondment.request
        request.status = RequestStatus.FILLED
        request.save(update_fields=["status", "updated_at"])
    elif to == SecondmentStatus.ACTIVE and today < secondment.start:
        raise invalid("to", f"{secondment.reference} starts on {secondment.start}; it cannot be active before.")
    elif to == SecondmentStatus.COMPLETED and today < secondment.end:
        raise invalid("to", f"{secondment.reference} ends on {secondment.end}; it completes then, not before.")
    elif to == SecondmentStatus.CANCELLED:
        if not reason.strip():
            raise invalid("reason", f"say why {secondment.reference} is cancelled.", "Required.")
        if secondment.status == SecondmentStatus.APPROVED and secondment.request.status == RequestStatus.FILLED:
            secondment.request.status = RequestStatus.OPEN
            secondment.request.save(update_fields=["status", "updated_at"])
    before = secondment.status
    secondment.status = to
    secondment.status_reason = reason.strip()
    secondment.save()
    audit_record(
        actor=actor,
        action=f"secondment.{to}",
        obj=secondment,
        organisation=secondment.organisation,
        justification=reason,
        details={"reference": secondment.reference, "from": before, "to": to},
    )
    return secondment


def _managers() -> list[str]:
    return list(
        User.objects.filter(role=Role.PROGRAMME_MANAGER, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def _warn(
    *, obj: Any, to: set[str], template: str, context: dict[str, Any], action: str, details: dict[str, Any]
) -> None:
    """E-mail a warning to each address (after commit) and record that it was given."""
    for address in sorted(to):
        mail_after_commit(to=address, template=template, context=context)
    audit_record(actor=None, action=action, obj=obj, organisation=obj.organisation, details=details)


@transaction.atomic
def secondments_daily(*, now: datetime | None = None) -> list[str]:
    """The daily job (``ACCORD_DAILY_JOBS``, ``accord programme daily``): approved placements
    become active on their start date, active ones completed after their end date; the expert and
    the programme managers are warned once, ``ACCORD_SECONDMENT_WARN_DAYS`` ahead, of a
    placement's end and of a clearance expiring during a placement. Idempotent."""
    today = timezone.localdate(now) if now else _today()
    horizon = date.fromordinal(today.toordinal() + settings.ACCORD_SECONDMENT_WARN_DAYS)
    done: list[str] = []
    for placement in Secondment.objects.filter(status=SecondmentStatus.APPROVED, start__lte=today).order_by("pk"):
        secondment_transition(actor=None, secondment=placement, to=SecondmentStatus.ACTIVE, today=today)
        done.append(f"{placement.reference} active")
    for placement in Secondment.objects.filter(status=SecondmentStatus.ACTIVE, end__lt=today).order_by("pk"):
        secondment_transition(actor=None, secondment=placement, to=SecondmentStatus.COMPLETED, today=today)
        done.append(f"{placement.reference} completed")
    managers = _managers()
    ending = Secondment.objects.filter(
        status=SecondmentStatus.ACTIVE, end__gte=today, end__lte=horizon, end_warned_on__isnull=True
    ).select_related("expert", "organisation", "request")
    for placement in ending:
        placement.end_warned_on = today
        placement.save(update_fields=["end_warned_on", "updated_at"])
        _warn(
            obj=placement,
            to={placement.expert.email, *managers},
            template="programme/email/secondment_ending",
            context={"secondment": placement, "days": (placement.end - today).days},
            action="secondment.end_warning",
            details={"end": str(placement.end)},
        )
        done.append(f"{placement.reference} ends {placement.end}")
    expiring = (
        Expert.objects.filter(
            clearance_expires__gte=today,
            clearance_expires__lte=horizon,
            secondments__status__in=[SecondmentStatus.APPROVED, SecondmentStatus.ACTIVE],
            secondments__end__gte=today,
        )
        .exclude(clearance_level=ClearanceLevel.NONE)
        .distinct()
        .select_related("organisation")
    )
    for expert in expiring:
        if expert.clearance_warned_for == expert.clearance_expires:
            continue
        expert.clearance_warned_for = expert.clearance_expires
        expert.save(update_fields=["clearance_warned_for", "updated_at"])
        _warn(
            obj=expert,
            to={expert.email, *managers},
            template="programme/email/clearance_expiring",
            context={"expert": expert, "days": (expert.clearance_expires - today).days},  # type: ignore[operator]
            action="expert.clearance_warning",
            details={"expires": str(expert.clearance_expires)},
        )
        done.append(f"clearance of {expert.full_name} expires {expert.clearance_expires}")
    return done


# --- Training: courses and sessions ---------------------------------------------------------------

COURSE_FIELDS = (
    "title",
    "topic",
    "level",
    "delivery_mode",
    "duration_days",
    "learning_outcomes",
    "pass_score",
    "is_active",
)


def _course_fields(data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in ("title", "topic", "learning_outcomes"):
        if name in data:
            clean[name] = _text(name, data[name], f"the course's {name.replace('_', ' ')}")
    if "level" in data:
        one_of("level", data["level"], CourseLevel)
        clean["level"] = data["level"]
    if "delivery_mode" in data:
        one_of("delivery_mode", data["delivery_mode"], DeliveryMode)
        clean["delivery_mode"] = data["delivery_mode"]
    if "duration_days" in data:
        if not isinstance(data["duration_days"], int) or not 1 <= data["duration_days"] <= 365:
            raise invalid("duration_days", f"{data['duration_days']!r} is not a number of days from 1 to 365.")
        clean["duration_days"] = data["duration_days"]
    if "pass_score" in data:
        if not isinstance(data["pass_score"], int) or not 0 <= data["pass_score"] <= 100:
            raise invalid("pass_score", f"{data['pass_score']!r} is not a score from 0 to 100.")
        clean["pass_score"] = data["pass_score"]
    if "is_active" in data:
        clean["is_active"] = bool(data["is_active"])
    return clean


@transaction.atomic
def course_create(
    *,
    actor: User | None,
    code: str,
    title: str,
    topic: str,
    level: str,
    delivery_mode: str,
    duration_days: int,
    learning_outcomes: str,
    pass_score: int = 70,
) -> Course:
    """Add a course to the catalogue (programme managers)."""
    require(actor, Perm.PROGRAMME_MANAGE)
    code = _text("code", code, "a course code").upper()
    if Course.objects.filter(code=code).exists():
        raise Conflict(f"code: the course {code} exists already.", details={"code": ["Exists."]})
    fields = _course_fields(
        {
            "title": title,
            "topic": topic,
            "level": level,
            "delivery_mode": delivery_mode,
            "duration_days": duration_days,
            "learning_outcomes": learning_outcomes,
            "pass_score": pass_score,
        }
    )
    course = Course.objects.create(code=code, **fields)
    audit_record(actor=actor, action="course.create", obj=course, details={"code": code, "title": course.title})
    return course


@transaction.atomic
def course_update(*, actor: User | None, course: Course, **changes: Any) -> Course:
    """Change a course of the catalogue (or retire it with ``is_active=False``)."""
    require(actor, Perm.PROGRAMME_MANAGE)
    unknown = set(changes) - set(COURSE_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], "is not a field of a course.")
    fields = _course_fields(changes)
    course = Course.objects.select_for_update().get(pk=course.pk)
    for name, value in fields.items():
        setattr(course, name, value)
    course.save()
    audit_record(actor=actor, action="course.update", obj=course, details=fields)
    return course


@transaction.atomic
def session_create(
    *,
    actor: User | None,
    course: Course,
    start: date,
    end: date,
    capacity: int,
    language: str,
    online: bool = False,
    city: str = "",
    country: str = "",
    region: str = "",
    trainer_experts: list[Expert] | None = None,
    trainer_staff: list[User] | None = None,
) -> TrainingSession:
    """Plan a session of a course (programme managers): in person (city and country, region
    derived) or online (a region it serves), in the future, for at least one participant."""
    require(actor, Perm.PROGRAMME_MANAGE)
    if not course.is_active:
        raise invalid("course", f"{course.code} is retired from the catalogue.")
    if end < start:
        raise invalid("end", f"the session ends ({end}) before it starts ({start}).", "end ≥ start.")
    if start < _today():
        raise ValidationFailed(
            f"start: {start} is in the past; sessions are planned ahead.",
            details={"start": ["Today or later."]},
            code="past_session",
        )
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 1000:
        raise invalid("capacity", f"{capacity!r} is not a number of seats from 1 to 1000.")
    if online and course.delivery_mode == DeliveryMode.IN_PERSON:
        raise invalid("online", f"{course.code} is taught in person only.")
    if not online and course.delivery_mode == DeliveryMode.ONLINE:
        raise invalid("online", f"{course.code} is an online course.")
    if online:
        one_of("region", region, Region)
        city, country = city.strip(), (country or "").upper()
        if country:
            country = _clean_country("country", country)
    else:
        city = _text("city", city, "the city")
        country = _clean_country("country", country)
        derived = region_for(country)
        if region and region != derived:
            raise invalid("region", f"{country} is in {derived}, not {region}.", derived)
        region = derived
    experts = trainer_experts or []
    for expert in experts:
        if not expert.is_active:
            raise invalid("trainer_experts", f"{expert.full_name}'s profile is inactive.")
    staff = trainer_staff or []
    for person in staff:
        if not person.is_active or person.organisation.kind == OrganisationKind.LAW_ENFORCEMENT:
            raise invalid("trainer_staff", f"{person.username} is not active partner or programme staff.")
    session = TrainingSession.objects.create(
        course=course,
        start=start,
        end=end,
        capacity=capacity,
        language=_clean_language("language", language),
        online=online,
        city=city,
        country=country,
        region=region,
        created_by=actor,
    )
    session.trainer_experts.set(experts)
    session.trainer_staff.set(staff)
    audit_record(
        actor=actor,
        action="training_session.create",
        obj=session,
        details={
            "course": course.code,
            "start": str(start),
            "end": str(end),
            "place": session.place,
            "capacity": capacity,
            "trainers": [e.pk for e in experts],
            "staff": [p.pk for p in staff],
        },
    )
    return session


@transaction.atomic
def session_cancel(*, actor: User | None, session: TrainingSession, reason: str) -> TrainingSession:
    """Cancel a session that has not started; its open enrolments are withdrawn."""
    require(actor, Perm.PROGRAMME_MANAGE)
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if session.cancelled:
        raise invalid("session", "the session is cancelled already.")
    if session.start <= _today():
        raise invalid("session", f"the session started on {session.start}; it can no longer be cancelled.")
    if not reason.strip():
        raise invalid("reason", "say why the session is cancelled.", "Required.")
    open_ones = session.enrolments.filter(status__in=[*SEAT_HOLDING, EnrolmentStatus.WAITLISTED]).select_related(
        "officer__organisation"
    )
    withdrawn = [
        _move(actor, enrolment, EnrolmentStatus.WITHDRAWN, reason="session cancelled").pk for enrolment in open_ones
    ]
    session.cancelled = True
    session.save(update_fields=["cancelled"])
    audit_record(
        actor=actor,
        action="training_session.cancel",
        obj=session,
        justification=reason,
        details={"withdrawn": withdrawn},
    )
    return session


# --- Sponsorships ---------------------------------------------------------------------------------


@transaction.atomic
def sponsorship_create(
    *,
    actor: User | None,
    organisation: Organisation,
    kind: str,
    currency: str,
    session: TrainingSession | None = None,
    course: Course | None = None,
    amount: Any = None,
    in_kind_items: list[str] | None = None,
    estimated_value: Any = None,
    description: str = "",
) -> Sponsorship:
    """Record a partner's financial or in-kind support of a session or a course, under its
    active ``training_support`` agreement in force over the session (or today, for a course)."""
    require(actor, Perm.PROGRAMME_MANAGE)
    one_of("kind", kind, SponsorshipKind)
    if (session is None) == (course is None):
        raise invalid("session", "a sponsorship supports either one session or one course.", "session or course.")
    items: list[str] = []
    if kind == SponsorshipKind.FINANCIAL:
        if amount in (None, ""):
            raise invalid("amount", "a financial sponsorship needs its amount.", "A positive amount.")
        if in_kind_items:
            raise invalid("in_kind_items", "a financial sponsorship lists no in-kind items.")
        amount = _money("amount", amount, positive=True)
        estimated_value = None
    else:
        items = all_of("in_kind_items", in_kind_items or [], InKindItem)
        if estimated_value in (None, ""):
            raise invalid("estimated_value", "an in-kind sponsorship needs its estimated value.", "Zero or more.")
        if amount not in (None, ""):
            raise invalid("amount", "an in-kind sponsorship has an estimated value, not an amount.")
        estimated_value = _money("estimated_value", estimated_value, positive=False)
        amount = None
    currency = _clean_currency(currency)
    if session is not None:
        if session.cancelled:
            raise invalid("session", "the session is cancelled.")
        start, end = session.start, session.end
    else:
        start = end = _today()
    agreement = covering_agreement(organisation, AgreementKind.TRAINING_SUPPORT, start, end)
    if agreement is None:
        raise ValidationFailed(
            f"agreement: {organisation.name} holds no active training-support agreement in force "
            f"from {start} to {end}.",
            details={"agreement": ["An active training_support agreement covering the sponsored period."]},
            code="no_covering_agreement",
        )
    sponsorship = Sponsorship.objects.create(
        organisation=organisation,
        agreement=agreement,
        session=session,
        course=course,
        kind=kind,
        amount=amount,
        in_kind_items=items,
        estimated_value=estimated_value,
        currency=currency,
        description=description.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="sponsorship.create",
        obj=sponsorship,
        organisation=organisation,
        details={
            "kind": kind,
            "amount": str(amount) if amount is not None else None,
            "estimated_value": str(estimated_value) if estimated_value is not None else None,
            "currency": currency,
            "items": items,
            "session": session.pk if session else None,
            "course": course.pk if course else None,
            "agreement": agreement.reference,
        },
    )
    return sponsorship


# --- Officers and enrolments ----------------------------------------------------------------------


@transaction.atomic
def officer_create(
    *, actor: User | None, organisation: Organisation, full_name: str, email: str, rank: str = "", unit: str = ""
) -> Officer:
    """Register a law-enforcement officer of a member country's unit, for nomination."""
    _may_act_for(actor, organisation)
    if organisation.kind != OrganisationKind.LAW_ENFORCEMENT:
        raise invalid("organisation", f"{organisation.name} is not a law-enforcement organisation.")
    email = _text("email", email, "the officer's e-mail address").lower()
    if Officer.objects.filter(organisation=organisation, email=email).exists():
        raise Conflict(f"email: {email} is registered already.", details={"email": ["Exists."]})
    officer = Officer.objects.create(
        organisation=organisation,
        full_name=_text("full_name", full_name, "the officer's name"),
        email=email,
        rank=rank.strip(),
        unit=unit.strip(),
        country=organisation.country,
        region=organisation.region,
    )
    audit_record(actor=actor, action="officer.create", obj=officer, organisation=organisation)
    return officer


def _seats_taken(session: TrainingSession) -> int:
    return session.enrolments.filter(status__in=SEAT_HOLDING).count()


@transaction.atomic
def enrolment_nominate(
    *, actor: User | None, session: TrainingSession, officer: Officer, waitlist: bool = False
) -> Enrolment:
    """Nominate an officer for a future session (their organisation, or a programme manager).

    A full session refuses the nomination unless ``waitlist`` asks for the waiting list; a
    withdrawn enrolment may be nominated again.
    """
    _may_act_for(actor, officer.organisation)
    session = TrainingSession.objects.select_for_update().select_related("course").get(pk=session.pk)
    if session.cancelled:
        raise invalid("session", "the session is cancelled.")
    if session.start <= _today():
        raise ValidationFailed(
            f"session: the session started on {session.start}; nominations close the day before.",
            details={"session": ["A session that has not started."]},
            code="past_session",
        )
    if officer.organisation.status != OrganisationStatus.ACTIVE:
        raise invalid("officer", f"{officer.organisation.name} is not an active member unit.")
    existing = Enrolment.objects.filter(session=session, officer=officer).first()
    if existing is not None and existing.status != EnrolmentStatus.WITHDRAWN:
        raise Conflict(
            f"officer: {officer.full_name} is already enrolled ({existing.status}).",
            details={"officer": ["Already enrolled."]},
        )
    status = EnrolmentStatus.NOMINATED
    if _seats_taken(session) >= session.capacity:
        if not waitlist:
            raise ValidationFailed(
                f"session: all {session.capacity} seats are taken; nominate to the waiting list instead.",
                details={"session": ["Full: set waitlist to join the waiting list."]},
                code="session_full",
            )
        status = EnrolmentStatus.WAITLISTED
    if existing is not None:
        enrolment = existing
        enrolment.status, enrolment.nominated_by, enrolment.assessment_score = status, actor, None
        enrolment.created_at = timezone.now()  # back of the queue
        enrolment.save()
    else:
        enrolment = Enrolment.objects.create(session=session, officer=officer, status=status, nominated_by=actor)
    audit_record(
        actor=actor,
        action="enrolment.nominate",
        obj=enrolment,
        organisation=officer.organisation,
        details={"session": session.pk, "officer": officer.pk, "status": status},
    )
    return enrolment


def _enrolment_locked(enrolment: Enrolment) -> Enrolment:
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("session__course", "officer__organisation")
        .get(pk=enrolment.pk)
    )


def _move(actor: User | None, enrolment: Enrolment, to: str, **details: Any) -> Enrolment:
    before = enrolment.status
    enrolment.status = to
    enrolment.save()
    audit_record(
        actor=actor,
        action=f"enrolment.{to}",
        obj=enrolment,
        organisation=enrolment.officer.organisation,
        details={"from": before, "to": to, **details},
    )
    return enrolment


def _expect(enrolment: Enrolment, *statuses: str) -> None:
    if enrolment.status not in statuses:
        raise invalid(
            "status",
            f"the enrolment is {enrolment.status}; this needs it {' or '.join(statuses)}.",
            f"One of: {', '.join(statuses)}.",
        )


@transaction.atomic
def enrolment_confirm(*, actor: User | None, enrolment: Enrolment) -> Enrolment:
    """Confirm a nominated officer's seat (programme managers)."""
    require(actor, Perm.PROGRAMME_MANAGE)
    enrolment = _enrolment_locked(enrolment)
    _expect(enrolment, EnrolmentStatus.NOMINATED)
    return _move(actor, enrolment, EnrolmentStatus.CONFIRMED)


@transaction.atomic
def enrolment_withdraw(*, actor: User | None, enrolment: Enrolment, reason: str = "") -> Enrolment:
    """Give a seat (or a waiting-list place) back before the session; the first officer on the
    waiting list moves up to ``nominated``."""
    enrolment = _enrolment_locked(enrolment)
    _may_act_for(actor, enrolment.officer.organisation)
    _expect(enrolment, EnrolmentStatus.WAITLISTED, *SEAT_HOLDING)
    session = TrainingSession.objects.select_for_update().get(pk=enrolment.session_id)
    if session.start <= _today():
        raise invalid("session", f"the session started on {session.start}; record attendance instead.")
    freed = enrolment.status in SEAT_HOLDING
    _move(actor, enrolment, EnrolmentStatus.WITHDRAWN, reason=reason.strip())
    if freed:
        waiting = (
            Enrolment.objects.filter(session=session, status=EnrolmentStatus.WAITLISTED)
            .select_related("officer__organisation", "session__course")
            .order_by("created_at", "pk")
            .first()
        )
        if waiting is not None:
            _move(None, waiting, EnrolmentStatus.NOMINATED, promoted_after=enrolment.pk)
    return enrolment


@transaction.atomic
def enrolment_record_attendance(
    *, actor: User | None, enrolment: Enrolment, attended: bool, score: int | None = None
) -> Enrolment:
    """Record whether a confirmed officer attended (``attended`` or ``no_show``) and, if they
    did, the assessment score (0–100); corrections are allowed until completion."""
    require(actor, Perm.PROGRAMME_MANAGE)
    enrolment = _enrolment_locked(enrolment)
    _expect(enrolment, EnrolmentStatus.CONFIRMED, EnrolmentStatus.ATTENDED, EnrolmentStatus.NO_SHOW)
    if enrolment.session.start > _today():
        raise invalid("attended", f"the session starts on {enrolment.session.start}; attendance is taken then.")
    if score is not None:
        if not attended:
            raise invalid("score", "an officer who did not attend has no assessment score.")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
            raise invalid("score", f"{score!r} is not a score from 0 to 100.", "0–100.")
    enrolment.assessment_score = score if attended else None
    return _move(actor, enrolment, EnrolmentStatus.ATTENDED if attended else EnrolmentStatus.NO_SHOW, score=score)


def _certificate_code() -> str:
    """16 characters of Crockford-like base32 in four groups: about 80 bits, easy to type."""
    alphabet = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


@transaction.atomic
def enrolment_complete(*, actor: User | None, enrolment: Enrolment) -> Certificate:
    """Complete an attended enrolment whose score reaches the course's pass mark, once the
    session has ended, and issue its certificate."""
    require(actor, Perm.PROGRAMME_MANAGE)
    enrolment = _enrolment_locked(enrolment)
    _expect(enrolment, EnrolmentStatus.ATTENDED)
    course = enrolment.session.course
    if enrolment.assessment_score is None or enrolment.assessment_score < course.pass_score:
        raise ValidationFailed(
            f"score: {course.code} needs an assessment score of at least {course.pass_score}; "
            f"recorded: {enrolment.assessment_score if enrolment.assessment_score is not None else 'none'}.",
            details={"score": [f"At least {course.pass_score}."]},
            code="below_pass_score",
        )
    if enrolment.session.end > _today():
        raise invalid("session", f"the session ends on {enrolment.session.end}; completion is recorded then.")
    _move(actor, enrolment, EnrolmentStatus.COMPLETED, score=enrolment.assessment_score)
    code = _certificate_code()
    while Certificate.objects.filter(code=code).exists():  # pragma: no cover - 80 bits
        code = _certificate_code()
    certificate = Certificate.objects.create(enrolment=enrolment, code=code, issued_on=_today())
    audit_record(
        actor=actor,
        action="certificate.issue",
        obj=certificate,
        organisation=enrolment.officer.organisation,
        details={"enrolment": enrolment.pk, "course": course.code},
    )
    return certificate


@transaction.atomic
def certificate_revoke(*, actor: User | None, certificate: Certificate, reason: str) -> Certificate:
    """Withdraw a certificate issued in error; the verification page then says it is not valid."""
    require(actor, Perm.PROGRAMME_MANAGE)
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked_at is not None:
        raise invalid("certificate", "the certificate is revoked already.")
    if not reason.strip():
        raise invalid("reason", "say why the certificate is revoked.", "Required.")
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = reason.strip()
    certificate.save(update_fields=["revoked_at", "revoked_reason"])
    audit_record(actor=actor, action="certificate.revoke", obj=certificate, justification=reason)
    return certificate
