"""Filters of experts, requests, placements, courses, sessions, sponsorships, officers and
enrolments: one per model, shared by the API, the UI and the CLI."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import Q, QuerySet

from accord.core.choices import Region
from accord.core.filters import StrictBooleanFilter, WholeNumberFilter
from accord.programme.choices import (
    ClearanceLevel,
    CourseLevel,
    DeliveryMode,
    EnrolmentStatus,
    RequestStatus,
    SecondmentPurpose,
    SecondmentStatus,
    SponsorshipKind,
)
from accord.programme.models import (
    Course,
    Enrolment,
    Expert,
    Officer,
    Secondment,
    SecondmentRequest,
    Sponsorship,
    TrainingSession,
)

__all__ = [
    "CourseFilter",
    "EnrolmentFilter",
    "ExpertFilter",
    "OfficerFilter",
    "SecondmentFilter",
    "SecondmentRequestFilter",
    "SponsorshipFilter",
    "TrainingSessionFilter",
]


class ExpertFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    organisation = WholeNumberFilter(field_name="organisation_id")
    skill = django_filters.CharFilter(method="has_skill", label="Skill code")
    clearance_level = django_filters.MultipleChoiceFilter(choices=ClearanceLevel.choices)
    is_active = StrictBooleanFilter()

    class Meta:
        model = Expert
        fields: ClassVar[list[str]] = ["q", "organisation", "skill", "clearance_level", "is_active"]

    def search(self, qs: QuerySet[Expert], name: str, value: str) -> QuerySet[Expert]:
        return qs.filter(Q(full_name__icontains=value) | Q(job_title__icontains=value))

    def has_skill(self, qs: QuerySet[Expert], name: str, value: str) -> QuerySet[Expert]:
        return qs.filter(skills__has_key=value.strip())


class SecondmentRequestFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    purpose = django_filters.MultipleChoiceFilter(choices=SecondmentPurpose.choices)
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    starts_after = django_filters.DateFilter(field_name="start", lookup_expr="gte")
    starts_before = django_filters.DateFilter(field_name="start", lookup_expr="lte")

    class Meta:
        model = SecondmentRequest
        fields: ClassVar[list[str]] = ["q", "purpose", "status", "starts_after", "starts_before"]

    def search(self, qs: QuerySet[SecondmentRequest], name: str, value: str) -> QuerySet[SecondmentRequest]:
        return qs.filter(
            Q(reference__icontains=value)
            | Q(title__icontains=value)
            | Q(project__icontains=value)
            | Q(unit__icontains=value)
        )


class SecondmentFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=SecondmentStatus.choices)
    organisation = WholeNumberFilter(field_name="organisation_id")
    expert = WholeNumberFilter(field_name="expert_id")
    request = WholeNumberFilter(field_name="request_id")
    purpose = django_filters.MultipleChoiceFilter(field_name="request__purpose", choices=SecondmentPurpose.choices)
    starts_after = django_filters.DateFilter(field_name="start", lookup_expr="gte", label="Starts on or after")
    starts_before = django_filters.DateFilter(field_name="start", lookup_expr="lte", label="Starts on or before")
    ends_after = django_filters.DateFilter(field_name="end", lookup_expr="gte", label="Ends on or after")
    ends_before = django_filters.DateFilter(field_name="end", lookup_expr="lte", label="Ends on or before")

    class Meta:
        model = Secondment
        fields: ClassVar[list[str]] = [
            "q",
            "status",
            "organisation",
            "expert",
            "request",
            "purpose",
            "starts_after",
            "starts_before",
            "ends_after",
            "ends_before",
        ]

    def search(self, qs: QuerySet[Secondment], name: str, value: str) -> QuerySet[Secondment]:
        return qs.filter(
            Q(reference__icontains=value) | Q(expert__full_name__icontains=value) | Q(request__title__icontains=value)
        )


class CourseFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    level = django_filters.MultipleChoiceFilter(choices=CourseLevel.choices)
    delivery_mode = django_filters.MultipleChoiceFilter(choices=DeliveryMode.choices)
    is_active = StrictBooleanFilter()

    class Meta:
        model = Course
        fields: ClassVar[list[str]] = ["q", "level", "delivery_mode", "is_active"]

    def search(self, qs: QuerySet[Course], name: str, value: str) -> QuerySet[Course]:
        return qs.filter(Q(code__icontains=value) | Q(title__icontains=value) | Q(topic__icontains=value))


class TrainingSessionFilter(django_filters.FilterSet):  # type: ignore[misc]
    course = WholeNumberFilter(field_name="course_id")
    region = django_filters.MultipleChoiceFilter(choices=Region.choices)
    online = StrictBooleanFilter()
    starts_after = django_filters.DateFilter(field_name="start", lookup_expr="gte")
    starts_before = django_filters.DateFilter(field_name="start", lookup_expr="lte")
    cancelled = StrictBooleanFilter()

    class Meta:
        model = TrainingSession
        fields: ClassVar[list[str]] = ["course", "region", "online", "starts_after", "starts_before", "cancelled"]


class SponsorshipFilter(django_filters.FilterSet):  # type: ignore[misc]
    organisation = WholeNumberFilter(field_name="organisation_id")
    kind = django_filters.MultipleChoiceFilter(choices=SponsorshipKind.choices)
    currency = django_filters.CharFilter(lookup_expr="iexact")
    session = WholeNumberFilter(field_name="session_id")
    course = WholeNumberFilter(field_name="course_id")

    class Meta:
        model = Sponsorship
        fields: ClassVar[list[str]] = ["organisation", "kind", "currency", "session", "course"]


class OfficerFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    organisation = WholeNumberFilter(field_name="organisation_id")
    region = django_filters.MultipleChoiceFilter(choices=Region.choices)

    class Meta:
        model = Officer
        fields: ClassVar[list[str]] = ["q", "organisation", "region"]

    def search(self, qs: QuerySet[Officer], name: str, value: str) -> QuerySet[Officer]:
        return qs.filter(Q(full_name__icontains=value) | Q(email__icontains=value) | Q(unit__icontains=value))


class EnrolmentFilter(django_filters.FilterSet):  # type: ignore[misc]
    session = WholeNumberFilter(field_name="session_id")
    officer = WholeNumberFilter(field_name="officer_id")
    organisation = WholeNumberFilter(field_name="officer__organisation_id")
    status = django_filters.MultipleChoiceFilter(choices=EnrolmentStatus.choices)

    class Meta:
        model = Enrolment
        fields: ClassVar[list[str]] = ["session", "officer", "organisation", "status"]
