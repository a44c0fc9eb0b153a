"""Reads of governance data, bounded by what the principal may see (hidden = missing = 404).

Host staff see everything. Others see the groups and their members, the meetings and
recommendations of the groups they sit in (or were invited to), the libraries of their groups,
and the conference's editions and programme (operations: :mod:`accord.operations.selectors`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from accord.core.choices import Region, Tlp
from accord.core.errors import NotFound
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible
from accord.governance.choices import (
    RecommendationStatus,
    RegistrationStatus,
)
from accord.governance.models import (
    ActionItem,
    ConferenceEdition,
    ConferenceHosting,
    ConferenceSession,
    GoodPractice,
    Group,
    Meeting,
    MeetingDocument,
    Membership,
    Paper,
    Recommendation,
    RecommendationNote,
    Registration,
)

__all__ = [
    "action_item_get",
    "conference_hosting_get",
    "edition_get",
    "edition_list",
    "edition_statistics",
    "group_get",
    "group_list",
    "meeting_document_get",
    "meeting_get",
    "meeting_list",
    "membership_list",
    "paper_list",
    "practice_get",
    "practice_list",
    "recommendation_followup",
    "recommendation_get",
    "recommendation_list",
    "registration_list",
    "session_list",
]


def _staff(principal: User) -> bool:
    return has_perm(principal, Perm.ORGANISATION_VIEW_ALL)


def _my_groups(principal: User) -> QuerySet[Membership]:
    return Membership.objects.current().filter(person=principal)


def group_list(*, principal: User | None) -> QuerySet[Group]:
    """Every group, with its count of current members (the groups are public within Accord)."""
    current = Q(memberships__in=Membership.objects.current())
    return Group.objects.annotate(member_count=Count("memberships", filter=current, distinct=True))


def group_get(*, principal: User, pk: Any) -> Group:
    """One group by id or slug."""
    qs = group_list(principal=principal)
    if isinstance(pk, str) and not pk.isdigit():
        found = qs.filter(slug=pk).first()
        if found is not None:
            return found
    return get_visible(qs, pk, "group")


def membership_list(*, principal: User) -> QuerySet[Membership]:
    """Seats in the groups (current and past); every signed-in person sees who sits where."""
    return Membership.objects.select_related("group", "person", "organisation")


def meeting_list(*, principal: User) -> QuerySet[Meeting]:
    """Host staff see every meeting; others those of groups they sit in, or were invited to."""
    qs = Meeting.objects.prefetch_related("groups")
    if _staff(principal):
        return qs
    mine = _my_groups(principal).values("group_id")
    return qs.filter(Q(groups__in=mine) | Q(guests=principal)).distinct()


def meeting_get(*, principal: User, pk: Any) -> Meeting:
    qs = meeting_list(principal=principal).prefetch_related(
        "guests", "documents", "attendance__person", "recommendations__group", "recommendations__owner"
    )
    return get_visible(qs, pk, "meeting")


def meeting_document_get(*, principal: User, meeting: Meeting, pk: Any) -> MeetingDocument:
    """One document of a meeting the principal sees."""
    document = MeetingDocument.objects.filter(meeting=meeting, pk=pk).first()
    if document is None:
        raise NotFound(f"No document {pk} in this meeting.")
    return document


def action_item_get(*, principal: User, meeting: Meeting, pk: Any) -> ActionItem:
    """One action item of a recommendation made at a meeting the principal sees."""
    item = ActionItem.objects.filter(recommendation__meeting=meeting, pk=pk).first() if str(pk).isdigit() else None
    if item is None:
        raise NotFound("item: no such action item in this meeting.")
    return item


def recommendation_list(*, principal: User) -> QuerySet[Recommendation]:
    """Recommendations of the meetings the principal sees."""
    qs = Recommendation.objects.select_related("group", "meeting", "owner")
    if _staff(principal):
        return qs
    return qs.filter(meeting__in=meeting_list(principal=principal).values("pk"))


def recommendation_get(*, principal: User, pk: Any) -> Recommendation:
    qs = recommendation_list(principal=principal).prefetch_related(
        Prefetch("notes", queryset=RecommendationNote.objects.select_related("author")),
        Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
    )
    return get_visible(qs, pk, "recommendation")


def recommendation_followup(*, principal: User, group: Group | None = None, region: str = "") -> dict[str, Any]:
    """The follow-up board of a group (or of the regional group of ``region``): counts per
    status, the open ones by status, and the overdue ones (open past their due date)."""
    qs = recommendation_list(principal=principal)
    if group is not None:
        qs = qs.filter(group=group)
    if region:
        qs = qs.filter(group__region=region)
    rows = list(qs.order_by("due_date", "pk"))
    board: dict[str, list[Recommendation]] = {status: [] for status in RecommendationStatus.values}
    for row in rows:
        board[row.status].append(row)
    overdue = [r for r in rows if r.overdue]
    return {
        "counts": {status: len(items) for status, items in board.items()},
        "board": board,
        "overdue": overdue,
        "total": len(rows),
    }


def practice_list(*, principal: User) -> QuerySet[GoodPractice]:
    """Host staff see the whole library; members of a group its entries; everyone the
    TLP:CLEAR ones."""
    qs = GoodPractice.objects.select_related("group", "author")
    if _staff(principal):
        return qs
    return qs.filter(Q(tlp=Tlp.CLEAR) | Q(group__in=_my_groups(principal).values("group_id")))


def practice_get(*, principal: User, pk: Any) -> GoodPractice:
    return get_visible(practice_list(principal=principal), pk, "good practice")


def edition_list(*, principal: User) -> QuerySet[ConferenceEdition]:
    """Every edition (the conference is public within Accord), with registration counts."""
    registered = Q(registrations__status=RegistrationStatus.REGISTERED)
    return ConferenceEdition.objects.select_related("host").annotate(
        registered=Count("registrations", filter=registered, distinct=True)
    )


def edition_get(*, principal: User, pk: Any) -> ConferenceEdition:
    """One edition by id, or by year."""
    qs = edition_list(principal=principal)
    found = qs.filter(year=pk).first() if str(pk).isdigit() and int(pk) >= 1900 else None
    return found or get_visible(qs, pk, "edition")


def paper_list(*, principal: User) -> QuerySet[Paper]:
    """Host staff see every paper and its review; others their own."""
    qs = Paper.objects.select_related("edition", "submitted_by")
    if _staff(principal):
        return qs
    return qs.filter(submitted_by=principal)


def session_list(*, principal: User) -> QuerySet[ConferenceSession]:
    """The programme of every edition."""
    return ConferenceSession.objects.select_related("edition", "paper").prefetch_related("speakers")


def registration_list(*, principal: User) -> QuerySet[Registration]:
    """Host staff see every registration; others their own."""
    qs = Registration.objects.select_related("edition")
    if _staff(principal):
        return qs
    return qs.filter(person=principal)


def edition_statistics(*, edition: ConferenceEdition) -> dict[str, Any]:
    """Registrations and attendance by sector and by region (cancelled places excluded);
    ``attendance_rate`` is attended ÷ registered."""
    rows = edition.registrations.filter(status=RegistrationStatus.REGISTERED)

    def by(field: str) -> list[dict[str, Any]]:
        grouped = rows.values(field).annotate(registered=Count("pk"), attended=Count("pk", filter=Q(attended=True)))
        return [
            {"key": g[field], "registered": g["registered"], "attended": g["attended"]} for g in grouped.order_by(field)
        ]

    registered = rows.count()
    attended = rows.filter(attended=True).count()
    regions = {r["key"]: r for r in by("region")}
    return {
        "registered": registered,
        "attended": attended,
        "capacity": edition.capacity,
        "attendance_rate": round(attended / registered, 3) if registered else 0.0,
        "by_sector": by("sector"),
        "by_region": [
            regions.get(region.value, {"key": region.value, "registered": 0, "attended": 0}) for region in Region
        ],
    }


def conference_hosting_get(*, principal: User) -> ConferenceHosting:
    """Who hosts the conference in turn (one row, public within Accord)."""
    hosting = ConferenceHosting.objects.filter(id=1).first()
    if hosting is None:
        raise NotFound("The host alternation is not configured yet.")
    return hosting
