"""Filters of the operations list, shared by the API, the UI and the CLI."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import Q, QuerySet

from accord.core.filters import WholeNumberFilter
from accord.operations.choices import CrimeType, OperationStatus
from accord.operations.models import Operation

__all__ = ["OperationFilter"]


class OperationFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=OperationStatus.choices)
    crime_type = django_filters.ChoiceFilter(method="filter_crime_type", choices=CrimeType.choices)
    lead = WholeNumberFilter(field_name="lead_id")
    participant = WholeNumberFilter(field_name="participants")

    class Meta:
        model = Operation
        fields: ClassVar[list[str]] = ["q", "status", "crime_type", "lead", "participant"]

    def search(self, qs: QuerySet[Operation], name: str, value: str) -> QuerySet[Operation]:
        return qs.filter(Q(name__icontains=value) | Q(codename__icontains=value) | Q(description__icontains=value))

    def filter_crime_type(self, qs: QuerySet[Operation], name: str, value: str) -> QuerySet[Operation]:
        return qs.filter(crime_types__icontains=f'"{value}"')
