"""Filters of the interception requests list, shared by the API, the pages and the CLI."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import Q, QuerySet

from accord.core.filters import WholeNumberFilter
from accord.core.regions import country_choices
from accord.interception.choices import AccountKind, InstitutionKind, RequestStatus, RoutedAs
from accord.interception.models import Institution, InterceptionRequest
from accord.operations.choices import CrimeType

__all__ = ["DirectoryFilter", "InterceptionFilter"]


class InterceptionFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search (reference, case, account, bank)")
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    routed_as = django_filters.ChoiceFilter(choices=RoutedAs.choices)
    account_kind = django_filters.ChoiceFilter(choices=AccountKind.choices)
    crime_type = django_filters.ChoiceFilter(choices=CrimeType.choices)
    currency = django_filters.CharFilter(method="filter_currency", label="Currency")
    addressee = WholeNumberFilter(field_name="addressee_id")
    requester = WholeNumberFilter(field_name="requester_id")
    raised_after = django_filters.DateFilter(field_name="raised_at", lookup_expr="date__gte", label="Raised from")
    raised_before = django_filters.DateFilter(field_name="raised_at", lookup_expr="date__lte", label="Raised until")

    class Meta:
        model = InterceptionRequest
        fields: ClassVar[list[str]] = [
            "q",
            "status",
            "routed_as",
            "account_kind",
            "crime_type",
            "currency",
            "addressee",
            "requester",
            "raised_after",
            "raised_before",
        ]

    def search(self, qs: QuerySet[InterceptionRequest], name: str, value: str) -> QuerySet[InterceptionRequest]:
        compact = value.replace(" ", "").upper()
        return qs.filter(
            Q(reference__icontains=value)
            | Q(case_reference__icontains=value)
            | Q(iban__icontains=compact)
            | Q(wallet__icontains=value.strip())
            | Q(account_number__icontains=value.strip())
            | Q(bank_name__icontains=value)
            | Q(exchange__icontains=value)
        )

    def filter_currency(
        self, qs: QuerySet[InterceptionRequest], name: str, value: str
    ) -> QuerySet[InterceptionRequest]:
        return qs.filter(currency=value.strip().upper())


class DirectoryFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The bank directory's filters: a name or BIC, the kind of institution, its country."""

    q = django_filters.CharFilter(method="search", label="Search (name, organisation, BIC)")
    kind = django_filters.ChoiceFilter(choices=InstitutionKind.choices, label="Kind")
    country = django_filters.ChoiceFilter(field_name="organisation__country", choices=country_choices, label="Country")

    class Meta:
        model = Institution
        fields: ClassVar[list[str]] = ["q", "kind", "country"]

    def search(self, qs: QuerySet[Institution], name: str, value: str) -> QuerySet[Institution]:
        return qs.filter(
            Q(name__icontains=value.strip())
            | Q(organisation__name__icontains=value.strip())
            | Q(bic8__icontains=value.replace(" ", "").upper()[:8])
        )
