"""Training courses and sessions, and the sponsorships that pay for them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from accord.core import guards
from accord.core.audit import audit_record
from accord.core.choices import OrganisationKind, Region
from accord.core.errors import Conflict, ValidationFailed
from accord.core.guards import all_of, invalid, one_of, require
from accord.core.models import Organisation, User
from accord.core.regions import region_for
from accord.core.roles import Perm
from accord.partners.choices import AgreementKind
from accord.programme.choices import (
    SEAT_HOLDING,
    CourseLevel,
    DeliveryMode,
    EnrolmentStatus,
    InKindItem,
    SponsorshipKind,
)
from accord.programme.models import (
    Course,
    Expert,
    Sponsorship,
    TrainingSession,
)
from accord.programme.services._common import (
    _clean_currency,
    _clean_language,
    _money,
    _text,
    _today,
)
from accord.programme.services.enrolments import (
    _move,
)
from accord.programme.services.secondments import (
    covering_agreement,
)

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
            country = guards.country("country", country)
    else:
        city = _text("city", city, "the city")
        country = guards.country("country", country)
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
