"""Reads of secondment and training data, bounded by what the principal may see (hidden =
missing = 404), the candidate ranking of a request, and the programme's reports."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear

from accord.core.errors import Forbidden, NotFound
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible
from accord.partners.choices import AgreementKind
from accord.partners.models import Agreement
from accord.programme.choices import COUNTED_STATUSES, HOLDING_STATUSES, TRAINED, SecondmentPurpose
from accord.programme.matching import Candidate, score_expert
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
from accord.programme.services import agreement_covers

__all__ = [
    "REPORTS",
    "REPORT_SELECTORS",
    "Report",
    "Verification",
    "certificate_get",
    "certificate_list",
    "certificate_code_normal",
    "certificate_verify",
    "holder_name_normal",
    "course_get",
    "course_list",
    "enrolment_get",
    "enrolment_list",
    "expert_get",
    "expert_list",
    "officer_get",
    "officer_list",
    "report_officers_trained",
    "report_secondment_months",
    "report_sessions",
    "report_sponsorships",
    "request_candidates",
    "request_get",
    "request_list",
    "secondment_get",
    "secondment_list",
    "session_get",
    "session_list",
    "skill_list",
    "sponsorship_get",
    "sponsorship_list",
]


def _sees_all(principal: User) -> bool:
    """Programme managers and auditors see every organisation's records; the host's analysts
    see what other host staff see."""
    return has_perm(principal, Perm.PROGRAMME_MANAGE) or has_perm(principal, Perm.ORGANISATION_VIEW_ALL)


def skill_list(*, principal: User) -> QuerySet[Skill]:
    """The skills vocabulary: anyone signed in reads it."""
    return Skill.objects.all()


def expert_list(*, principal: User) -> QuerySet[Expert]:
    """Host staff see every expert; a partner sees its own."""
    qs = Expert.objects.select_related("organisation", "person")
    return qs if _sees_all(principal) else qs.filter(organisation_id=principal.organisation_id)


def expert_get(*, principal: User, pk: Any) -> Expert:
    return get_visible(expert_list(principal=principal), pk, "expert")


def request_list(*, principal: User) -> QuerySet[SecondmentRequest]:
    """Secondment requests are calls for experts: everyone signed in reads them, so partners
    can propose their own experts."""
    return (
        SecondmentRequest.objects.select_related("created_by")
        .annotate(placements=Count("secondments", filter=Q(secondments__status__in=HOLDING_STATUSES)))
        .order_by("-start", "reference")
    )


def request_get(*, principal: User, pk: Any) -> SecondmentRequest:
    return get_visible(request_list(principal=principal), pk, "secondment request")


def secondment_list(*, principal: User) -> QuerySet[Secondment]:
    """Host staff see every placement; a partner sees the ones it sends."""
    qs = Secondment.objects.select_related("expert", "request", "organisation", "agreement")
    return qs if _sees_all(principal) else qs.filter(organisation_id=principal.organisation_id)


def secondment_get(*, principal: User, pk: Any) -> Secondment:
    return get_visible(secondment_list(principal=principal), pk, "secondment")


def course_list(*, principal: User) -> QuerySet[Course]:
    """The course catalogue is open to everyone signed in."""
    return Course.objects.annotate(session_count=Count("sessions", filter=Q(sessions__cancelled=False))).order_by(
        "code"
    )


def course_get(*, principal: User, pk: Any) -> Course:
    return get_visible(course_list(principal=principal), pk, "course")


def session_list(*, principal: User) -> QuerySet[TrainingSession]:
    """Sessions are open to everyone signed in (member units nominate officers for them)."""
    return (
        TrainingSession.objects.select_related("course")
        .prefetch_related("trainer_experts", "trainer_staff")
        .annotate(
            seats_taken=Count("enrolments", filter=Q(enrolments__status__in=["nominated", "confirmed"])),
            waiting=Count("enrolments", filter=Q(enrolments__status="waitlisted")),
        )
        .order_by("-start", "course__code", "pk")
    )


def session_get(*, principal: User, pk: Any) -> TrainingSession:
    return get_visible(session_list(principal=principal), pk, "training session")


def sponsorship_list(*, principal: User) -> QuerySet[Sponsorship]:
    """Host staff see every sponsorship; a partner sees its own."""
    qs = Sponsorship.objects.select_related("organisation", "agreement", "session__course", "course")
    return qs if _sees_all(principal) else qs.filter(organisation_id=principal.organisation_id)


def sponsorship_get(*, principal: User, pk: Any) -> Sponsorship:
    return get_visible(sponsorship_list(principal=principal), pk, "sponsorship")


def officer_list(*, principal: User) -> QuerySet[Officer]:
    """Host staff see every officer; a member unit sees its own officers."""
    qs = Officer.objects.select_related("organisation")
    return qs if _sees_all(principal) else qs.filter(organisation_id=principal.organisation_id)


def officer_get(*, principal: User, pk: Any) -> Officer:
    return get_visible(officer_list(principal=principal), pk, "officer")


def enrolment_list(*, principal: User) -> QuerySet[Enrolment]:
    """Host staff see every enrolment; a member unit sees its own officers'."""
    qs = Enrolment.objects.select_related("session__course", "officer__organisation", "certificate")
    return qs if _sees_all(principal) else qs.filter(officer__organisation_id=principal.organisation_id)


def enrolment_get(*, principal: User, pk: Any) -> Enrolment:
    return get_visible(enrolment_list(principal=principal), pk, "enrolment")


def certificate_list(*, principal: User) -> QuerySet[Certificate]:
    """Host staff see every certificate; a member unit sees its own officers'."""
    qs = Certificate.objects.select_related("enrolment__session__course", "enrolment__officer__organisation")
    return qs if _sees_all(principal) else qs.filter(enrolment__officer__organisation_id=principal.organisation_id)


def certificate_get(*, principal: User, pk: Any) -> Certificate:
    return get_visible(certificate_list(principal=principal), pk, "certificate")


@dataclass(frozen=True)
class Verification:
    """What the public verification page may say about a certificate: nothing more.
    ``holder_matches``: whether the name the checker typed is the holder's (``None``: none typed)."""

    valid: bool
    course: str
    completed_on: date
    code: str = ""
    holder_matches: bool | None = None


# Letters a reader confuses with the code's digits (Crockford's base32 leaves I, L, O and U out).
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def certificate_code_normal(code: str) -> str:
    """A code as typed (any case, with or without dashes or spaces, O for 0) as stored:
    ``abcd efgh-jkmn pqrs`` → ``ABCD-EFGH-JKMN-PQRS``."""
    bare = "".join(ch for ch in (code or "").upper() if ch.isalnum()).translate(_CONFUSABLE)
    if len(bare) != 16:
        return bare
    return "-".join(bare[i : i + 4] for i in range(0, 16, 4))


def holder_name_normal(name: str) -> str:
    """A name as compared: accents, case, punctuation and spacing set aside
    (``José  O'Neil`` and ``jose oneil`` are the same)."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    kept = "".join(ch if ch.isalnum() else " " if ch.isspace() or ch in "-," else "" for ch in letters.casefold())
    return " ".join(kept.split())


def _same_name(typed: str, stored: str) -> bool:
    # Compared as digests in constant time: the time taken tells nothing of the stored name.
    a = hashlib.sha256(holder_name_normal(typed).encode()).digest()
    b = hashlib.sha256(holder_name_normal(stored).encode()).digest()
    return hmac.compare_digest(a, b)


def certificate_verify(code: str, holder: str = "") -> Verification:
    """The public check of a certificate code (no login): validity, course and date, and, when
    the checker types the holder's name, whether it matches; never the holder, their unit or
    score. An unknown code raises NotFound."""
    normal = certificate_code_normal(code)
    certificate = (
        Certificate.objects.select_related("enrolment__session__course", "enrolment__officer")
        .filter(code=normal)
        .first()
    )
    if certificate is None:
        raise NotFound("No certificate has this code.")
    session = certificate.enrolment.session
    typed = holder.strip()
    return Verification(
        valid=certificate.is_valid,
        course=f"{session.course.code} {session.course.title}",
        completed_on=session.end,
        code=certificate.code,
        holder_matches=_same_name(typed, certificate.enrolment.officer.full_name) if typed else None,
    )


def request_candidates(*, principal: User, secondment_request: SecondmentRequest, limit: int = 20) -> list[Candidate]:
    """Active experts holding at least one required skill, ranked by the matching score
    (highest first; ties by name), each with its explanation. Programme managers only:
    the ranking compares other partners' experts. Four queries whatever the number of experts."""
    if not has_perm(principal, Perm.PROGRAMME_MANAGE):
        raise Forbidden(f"Your role does not allow this ({Perm.PROGRAMME_MANAGE}).")
    has_skill = Q()
    for code in secondment_request.required_skills:
        has_skill |= Q(skills__has_key=code)
    experts = list(Expert.objects.filter(has_skill, is_active=True).select_related("organisation"))
    placements: dict[int, list[Secondment]] = defaultdict(list)
    placed_here: dict[int, list[Secondment]] = defaultdict(list)
    for placement in Secondment.objects.filter(
        expert__in=experts,
        status__in=HOLDING_STATUSES,
        start__lte=secondment_request.end,
        end__gte=secondment_request.start,
    ).order_by("start"):
        (placed_here if placement.request_id == secondment_request.pk else placements)[placement.expert_id].append(
            placement
        )
    agreements: dict[int, list[Agreement]] = defaultdict(list)
    for agreement in (
        Agreement.objects.active()
        .filter(organisation_id__in={e.organisation_id for e in experts}, kind=AgreementKind.SECONDMENT)
        .select_related("current_version")
    ):
        agreements[agreement.organisation_id].append(agreement)
    ranked = [
        score_expert(
            expert,
            secondment_request,
            conflicts=placements[expert.pk],
            placed=placed_here[expert.pk],
            has_agreement=any(
                agreement_covers(a, secondment_request.start, secondment_request.end)
                for a in agreements[expert.organisation_id]
            ),
        )
        for expert in experts
    ]
    ranked.sort(key=lambda c: (-c.score, c.expert.full_name, c.expert.pk))
    return ranked[: max(1, min(limit, 200))]


# --- Reports --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One report: its title, its columns in order, and the column its chart draws."""

    name: str
    title: str
    columns: tuple[str, ...]
    measure: str
    label: tuple[str, ...]


REPORTS: dict[str, Report] = {
    "officers-trained": Report(
        "officers-trained",
        "Officers trained per region and country per year",
        ("year", "region", "country", "officers"),
        "officers",
        ("year", "country"),
    ),
    "sessions": Report(
        "sessions",
        "Training sessions per region per year",
        ("year", "region", "sessions", "seats"),
        "sessions",
        ("year", "region"),
    ),
    "sponsorships": Report(
        "sponsorships",
        "Sponsorship totals per partner (financial per currency; in kind at estimated value)",
        ("organisation", "currency", "financial", "in_kind_estimated", "sponsorships"),
        "financial",
        ("organisation", "currency"),
    ),
    "secondment-months": Report(
        "secondment-months",
        "Secondment person-months per partner and per purpose",
        ("organisation", "purpose", "placements", "person_months"),
        "person_months",
        ("organisation", "purpose"),
    ),
}


def _require_reports(principal: User) -> None:
    if not _sees_all(principal):
        raise Forbidden(f"Reports are for programme staff ({Perm.ORGANISATION_VIEW_ALL}).")


def report_officers_trained(*, principal: User, year: int | None = None) -> list[dict[str, Any]]:
    """Distinct officers who attended a session (completed or not), by the year the session
    ended and the officer's region and country."""
    _require_reports(principal)
    qs = Enrolment.objects.filter(status__in=TRAINED, session__cancelled=False).annotate(
        year=ExtractYear("session__end")
    )
    if year:
        qs = qs.filter(year=year)
    rows = (
        qs.values("year", "officer__region", "officer__country")
        .annotate(officers=Count("officer", distinct=True))
        .order_by("-year", "officer__region", "officer__country")
    )
    return [
        {"year": r["year"], "region": r["officer__region"], "country": r["officer__country"], "officers": r["officers"]}
        for r in rows
    ]


def report_sessions(*, principal: User, year: int | None = None) -> list[dict[str, Any]]:
    """Sessions held or planned (not cancelled) and their seats, by start year and region."""
    _require_reports(principal)
    qs = TrainingSession.objects.filter(cancelled=False).annotate(year=ExtractYear("start"))
    if year:
        qs = qs.filter(year=year)
    rows = qs.values("year", "region").annotate(sessions=Count("pk"), seats=Sum("capacity")).order_by("-year", "region")
    return [{"year": r["year"], "region": r["region"], "sessions": r["sessions"], "seats": r["seats"]} for r in rows]


def report_sponsorships(*, principal: User, year: int | None = None) -> list[dict[str, Any]]:
    """Per partner and currency: the financial amounts and the in-kind estimated values summed
    (currencies are never converted). ``year`` is the year the sponsorship was recorded."""
    _require_reports(principal)
    qs = Sponsorship.objects.all()
    if year:
        qs = qs.filter(created_at__year=year)
    rows = (
        qs.values("organisation__name", "currency")
        .annotate(financial=Sum("amount"), in_kind=Sum("estimated_value"), sponsorships=Count("pk"))
        .order_by("organisation__name", "currency")
    )
    zero = Decimal("0.00")
    return [
        {
            "organisation": r["organisation__name"],
            "currency": r["currency"],
            "financial": (r["financial"] or zero).quantize(zero),
            "in_kind_estimated": (r["in_kind"] or zero).quantize(zero),
            "sponsorships": r["sponsorships"],
        }
        for r in rows
    ]


DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12


def report_secondment_months(*, principal: User, year: int | None = None) -> list[dict[str, Any]]:
    """Person-months of approved, active and completed placements (days ÷ 30.4375, days counted
    inclusively), per sending partner and purpose; ``year`` counts only that year's days."""
    _require_reports(principal)
    totals: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0])
    qs = Secondment.objects.filter(status__in=COUNTED_STATUSES).select_related("organisation", "request")
    if year:
        qs = qs.filter(start__lte=date(year, 12, 31), end__gte=date(year, 1, 1))
    for placement in qs:
        start, end = placement.start, placement.end
        if year:
            start, end = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
        key = (placement.organisation.name, placement.request.purpose)
        totals[key][0] += 1
        totals[key][1] += (end - start).days + 1
    labels = dict(SecondmentPurpose.choices)
    return [
        {
            "organisation": organisation,
            "purpose": purpose,
            "purpose_label": str(labels.get(purpose, purpose)),
            "placements": count,
            "person_months": (Decimal(days) / DAYS_PER_MONTH).quantize(Decimal("0.01")),
        }
        for (organisation, purpose), (count, days) in sorted(totals.items())
    ]


REPORT_SELECTORS = {
    "officers-trained": report_officers_trained,
    "sessions": report_sessions,
    "sponsorships": report_sponsorships,
    "secondment-months": report_secondment_months,
}
