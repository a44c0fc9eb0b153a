"""Officers, enrolments and certificates."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import OrganisationKind, OrganisationStatus
from accord.core.errors import Conflict, ValidationFailed
from accord.core.guards import invalid, require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.notifications.services import notify
from accord.programme.choices import (
    ENROLMENT_WORKFLOW,
    SEAT_HOLDING,
    EnrolmentStatus,
)
from accord.programme.models import (
    Certificate,
    Enrolment,
    Officer,
    TrainingSession,
)
from accord.programme.services._common import (
    _may_act_for,
    _text,
    _today,
)

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
    ENROLMENT_WORKFLOW.record(
        actor=actor,
        obj=enrolment,
        to=to,
        action=f"enrolment.{to}",
        details={"from": enrolment.status, "to": to, **details},
        update_fields=None,
        organisation=enrolment.officer.organisation,
    )
    return enrolment


@transaction.atomic
def enrolment_confirm(*, actor: User | None, enrolment: Enrolment) -> Enrolment:
    """Confirm a nominated officer's seat (programme managers)."""
    require(actor, Perm.PROGRAMME_MANAGE)
    enrolment = _enrolment_locked(enrolment)
    ENROLMENT_WORKFLOW.check(enrolment.status, EnrolmentStatus.CONFIRMED)
    return _move(actor, enrolment, EnrolmentStatus.CONFIRMED)


@transaction.atomic
def enrolment_withdraw(*, actor: User | None, enrolment: Enrolment, reason: str = "") -> Enrolment:
    """Give a seat (or a waiting-list place) back before the session; the first officer on the
    waiting list moves up to ``nominated``."""
    enrolment = _enrolment_locked(enrolment)
    _may_act_for(actor, enrolment.officer.organisation)
    ENROLMENT_WORKFLOW.check(enrolment.status, EnrolmentStatus.WITHDRAWN)
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
    ENROLMENT_WORKFLOW.check(enrolment.status, EnrolmentStatus.ATTENDED if attended else EnrolmentStatus.NO_SHOW)
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
    ENROLMENT_WORKFLOW.check(enrolment.status, EnrolmentStatus.COMPLETED)
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


# Days ahead of a session's start that its enrolled officers are reminded of it.
TRAINING_REMINDER_DAYS = 7


@transaction.atomic
def training_reminders_daily(*, today: date | None = None) -> list[str]:
    """The daily job (``ACCORD_DAILY_JOBS``): remind each officer nominated or confirmed for a
    session starting within a week (by e-mail: officers have no account), and the person who
    nominated them (as they chose). Once per enrolment."""
    today = today or timezone.localdate()
    horizon = date.fromordinal(today.toordinal() + TRAINING_REMINDER_DAYS)
    due = (
        Enrolment.objects.select_for_update(of=("self",))
        .filter(
            status__in=[EnrolmentStatus.NOMINATED, EnrolmentStatus.CONFIRMED],
            reminded_on__isnull=True,
            session__cancelled=False,
            session__start__gte=today,
            session__start__lte=horizon,
        )
        .select_related("session", "session__course", "officer", "nominated_by")
        .order_by("pk")
    )
    done = []
    for enrolment in due:
        session, officer = enrolment.session, enrolment.officer
        where = "online" if session.online else f"in {session.city or session.country}"
        days = (session.start - today).days
        when = f"in {days} day{'' if days == 1 else 's'} ({session.start:%Y-%m-%d})"
        notify(
            "training.reminder",
            people=[enrolment.nominated_by] if enrolment.nominated_by else [],
            addresses=[officer.email] if officer.email else [],
            subject=enrolment,
            link=f"/programme/sessions/{session.pk}/",
            context={
                "title": f"{session.course.title} starts {when}",
                "text": f"{officer.full_name} is {enrolment.get_status_display().lower()} for {session.course.title}, "
                f"{session.start:%Y-%m-%d} to {session.end:%Y-%m-%d}, {where}.",
            },
        )
        enrolment.reminded_on = today
        enrolment.save(update_fields=["reminded_on", "updated_at"])
        done.append(f"{officer.full_name}: {session.course.title} {session.start}")
    return done
