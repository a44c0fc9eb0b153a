"""Filters for applications and agreements, shared by the API, the UI and the CLI."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.core.choices import OrganisationKind, Region, Sector
from accord.core.filters import WholeNumberFilter
from accord.partners.choices import AgreementKind, AgreementStatus, ApplicationStatus
from accord.partners.models import Agreement, PartnershipApplication

__all__ = ["AgreementFilter", "ApplicationFilter"]


class ApplicationFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=ApplicationStatus.choices)
    region = django_filters.MultipleChoiceFilter(choices=Region.choices)
    sector = django_filters.MultipleChoiceFilter(choices=Sector.choices)
    kind = django_filters.MultipleChoiceFilter(choices=OrganisationKind.choices)

    class Meta:
        model = PartnershipApplication
        fields: ClassVar[list[str]] = ["q", "status", "region", "sector", "kind"]

    def search(self, qs: QuerySet[PartnershipApplication], name: str, value: str) -> QuerySet[PartnershipApplication]:
        return qs.filter(
            Q(organisation_name__icontains=value) | Q(reference__icontains=value) | Q(contact_name__icontains=value)
        )


class AgreementFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.MultipleChoiceFilter(choices=AgreementKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=AgreementStatus.choices)
    organisation = WholeNumberFilter(field_name="organisation_id")
    region = django_filters.MultipleChoiceFilter(field_name="organisation__region", choices=Region.choices)
    expires_within = WholeNumberFilter(
        method="by_expiry",
        min_value=0,
        max_value=3660,
        label="Ends within (days)",
    )

    class Meta:
        model = Agreement
        fields: ClassVar[list[str]] = ["q", "kind", "status", "organisation", "region", "expires_within"]

    def search(self, qs: QuerySet[Agreement], name: str, value: str) -> QuerySet[Agreement]:
        return qs.filter(
            Q(reference__icontains=value) | Q(title__icontains=value) | Q(organisation__name__icontains=value)
        )

    def by_expiry(self, qs: QuerySet[Agreement], name: str, value: int | None) -> QuerySet[Agreement]:
        """Agreements whose current version ends between now and ``value`` days from now (the
        programme manager's renewals; an open-ended one never matches)."""
        if value is None:
            return qs
        now = timezone.now()
        return qs.filter(
            current_version__valid_until__gte=now,
            current_version__valid_until__lt=now + timedelta(days=value),
        )
