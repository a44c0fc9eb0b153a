"""Filters of governance lists, shared by the API, the UI and the CLI."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.core.choices import Region, Tlp
from accord.core.filters import StrictBooleanFilter, WholeNumberFilter
from accord.governance.choices import (
    GroupKind,
    MeetingStatus,
    MembershipRole,
    PaperStatus,
    PracticeTopic,
    RecommendationArea,
    RecommendationStatus,
    RegistrationStatus,
    SpeakerSector,
)
from accord.governance.models import (
    ConferenceEdition,
    ConferenceSession,
    GoodPractice,
    Group,
    Meeting,
    Membership,
    MembershipQuerySet,
    Paper,
    Recommendation,
    RecommendationQuerySet,
    Registration,
)

__all__ = [
    "EditionFilter",
    "GroupFilter",
    "MeetingFilter",
    "MembershipFilter",
    "PaperFilter",
    "PracticeFilter",
    "RecommendationFilter",
    "RegistrationFilter",
    "SessionFilter",
]


class GroupFilter(django_filters.FilterSet):  # type: ignore[misc]
    kind = django_filters.ChoiceFilter(choices=GroupKind.choices)
    region = django_filters.MultipleChoiceFilter(choices=Region.choices)

    class Meta:
        model = Group
        fields: ClassVar[list[str]] = ["kind", "region"]


class MembershipFilter(django_filters.FilterSet):  # type: ignore[misc]
    group = WholeNumberFilter(field_name="group_id")
    role = django_filters.MultipleChoiceFilter(choices=MembershipRole.choices)
    organisation = WholeNumberFilter(field_name="organisation_id")
    current = StrictBooleanFilter(method="filter_current", label="Current seats only")

    class Meta:
        model = Membership
        fields: ClassVar[list[str]] = ["group", "role", "organisation", "current"]

    def filter_current(self, qs: QuerySet[Membership], name: str, value: bool | None) -> QuerySet[Membership]:
        current = MembershipQuerySet.active_on_q(timezone.localdate())
        return qs.filter(current) if value else qs.exclude(current)


class MeetingFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    group = WholeNumberFilter(field_name="groups", label="Group id")
    region = django_filters.ChoiceFilter(field_name="groups__region", choices=Region.choices)
    country = django_filters.CharFilter(lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices)
    since = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__gte")
    until = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__lte")

    class Meta:
        model = Meeting
        fields: ClassVar[list[str]] = ["q", "group", "region", "country", "status", "since", "until"]

    def search(self, qs: QuerySet[Meeting], name: str, value: str) -> QuerySet[Meeting]:
        return qs.filter(Q(title__icontains=value) | Q(city__icontains=value) | Q(minutes__icontains=value))


class RecommendationFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=RecommendationStatus.choices)
    area = django_filters.MultipleChoiceFilter(choices=RecommendationArea.choices)
    group = WholeNumberFilter(field_name="group_id")
    region = django_filters.ChoiceFilter(field_name="group__region", choices=Region.choices)
    meeting = WholeNumberFilter(field_name="meeting_id")
    owner = WholeNumberFilter(field_name="owner_id")
    overdue = StrictBooleanFilter(method="filter_overdue", label="Overdue")

    class Meta:
        model = Recommendation
        fields: ClassVar[list[str]] = ["q", "status", "area", "group", "region", "meeting", "owner", "overdue"]

    def search(self, qs: QuerySet[Recommendation], name: str, value: str) -> QuerySet[Recommendation]:
        return qs.filter(Q(title__icontains=value) | Q(text__icontains=value))

    def filter_overdue(self, qs: QuerySet[Recommendation], name: str, value: bool | None) -> QuerySet[Recommendation]:
        late = RecommendationQuerySet.overdue_q(timezone.localdate())
        return qs.filter(late) if value else qs.exclude(late)


class PracticeFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    topic = django_filters.MultipleChoiceFilter(choices=PracticeTopic.choices)
    tag = django_filters.CharFilter(method="filter_tag", label="Tag")
    tlp = django_filters.MultipleChoiceFilter(choices=Tlp.choices)
    group = WholeNumberFilter(field_name="group_id")

    class Meta:
        model = GoodPractice
        fields: ClassVar[list[str]] = ["q", "topic", "tag", "tlp", "group"]

    def search(self, qs: QuerySet[GoodPractice], name: str, value: str) -> QuerySet[GoodPractice]:
        return qs.filter(Q(title__icontains=value) | Q(body__icontains=value) | Q(tags__icontains=value))

    def filter_tag(self, qs: QuerySet[GoodPractice], name: str, value: str) -> QuerySet[GoodPractice]:
        # Tags are stored lower-cased and quoted in the JSON list: match the whole tag.
        return qs.filter(tags__icontains=f'"{value.lower()}"')


class EditionFilter(django_filters.FilterSet):  # type: ignore[misc]
    year = WholeNumberFilter()
    host = WholeNumberFilter(field_name="host_id")
    since = WholeNumberFilter(field_name="year", lookup_expr="gte")

    class Meta:
        model = ConferenceEdition
        fields: ClassVar[list[str]] = ["year", "host", "since"]


class PaperFilter(django_filters.FilterSet):  # type: ignore[misc]
    edition = WholeNumberFilter(field_name="edition__year", label="Year")
    status = django_filters.MultipleChoiceFilter(choices=PaperStatus.choices)
    speaker_sector = django_filters.MultipleChoiceFilter(choices=SpeakerSector.choices)

    class Meta:
        model = Paper
        fields: ClassVar[list[str]] = ["edition", "status", "speaker_sector"]


class SessionFilter(django_filters.FilterSet):  # type: ignore[misc]
    edition = WholeNumberFilter(field_name="edition__year", label="Year")
    kind = django_filters.CharFilter()

    class Meta:
        model = ConferenceSession
        fields: ClassVar[list[str]] = ["edition", "kind"]


class RegistrationFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    edition = WholeNumberFilter(field_name="edition__year", label="Year")
    status = django_filters.MultipleChoiceFilter(choices=RegistrationStatus.choices)
    sector = django_filters.MultipleChoiceFilter(choices=SpeakerSector.choices)
    region = django_filters.MultipleChoiceFilter(choices=Region.choices)
    attended = StrictBooleanFilter()

    class Meta:
        model = Registration
        fields: ClassVar[list[str]] = ["q", "edition", "status", "sector", "region", "attended"]

    def search(self, qs: QuerySet[Registration], name: str, value: str) -> QuerySet[Registration]:
        return qs.filter(Q(name__icontains=value) | Q(email__icontains=value) | Q(organisation__icontains=value))
