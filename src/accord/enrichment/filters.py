"""Filters for enrichers and enrichment results, shared by the API, the UI and the CLI."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import QuerySet

from accord.core.filters import PublicIdFilter, StrictBooleanFilter, WholeNumberFilter
from accord.enrichment.choices import EnrichmentStatus, EnrichmentTrigger
from accord.enrichment.models import Enricher, Enrichment
from accord.formats.choices import ObservableType

__all__ = ["EnricherFilter", "EnrichmentFilter"]


class EnricherFilter(django_filters.FilterSet):  # type: ignore[misc]
    kind = django_filters.CharFilter()
    organisation = WholeNumberFilter(field_name="organisation_id")
    enabled = StrictBooleanFilter()
    run_on_ingest = StrictBooleanFilter()
    type = django_filters.ChoiceFilter(choices=ObservableType.choices, method="by_type", label="Used for this type")

    class Meta:
        model = Enricher
        fields: ClassVar[list[str]] = ["kind", "organisation", "enabled", "run_on_ingest"]

    def by_type(self, qs: QuerySet[Enricher], name: str, value: str) -> QuerySet[Enricher]:
        # JSON containment is not portable to SQLite; the enrichers table is small.
        return qs.filter(pk__in=[e.pk for e in qs if value in e.types])


class EnrichmentFilter(django_filters.FilterSet):  # type: ignore[misc]
    observable = PublicIdFilter(field_name="observable_id")
    enricher = django_filters.CharFilter(field_name="enricher__name")
    provider = WholeNumberFilter(field_name="provider_id")
    status = django_filters.ChoiceFilter(choices=EnrichmentStatus.choices)
    trigger = django_filters.ChoiceFilter(choices=EnrichmentTrigger.choices)
    type = django_filters.MultipleChoiceFilter(field_name="observable__type", choices=ObservableType.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Enrichment
        fields: ClassVar[list[str]] = ["observable", "enricher", "provider", "status", "trigger"]
