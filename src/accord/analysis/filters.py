"""Filters for correlations, campaigns and sightings, shared by the API and the UI."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import Q, QuerySet

from accord.analysis.models import Campaign, Correlation, Sighting
from accord.core.choices import Region
from accord.core.filters import StrictBooleanFilter, WholeNumberFilter
from accord.formats.choices import ObservableType

__all__ = ["CampaignFilter", "CorrelationFilter", "SightingFilter"]


class CorrelationFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filters over what the asker may know of each correlation (the ``seen_*`` values of
    :func:`accord.analysis.selectors.correlation_list`), never over totals a partner may not learn."""

    type = django_filters.MultipleChoiceFilter(field_name="observable__type", choices=ObservableType.choices)
    value_prefix = django_filters.CharFilter(field_name="observable__value", lookup_expr="startswith")
    min_organisations = WholeNumberFilter(field_name="seen_organisations", lookup_expr="gte")
    known_benign = StrictBooleanFilter(method="by_benign")
    over_correlating = StrictBooleanFilter(field_name="seen_over_correlating")
    correlated_after = django_filters.IsoDateTimeFilter(field_name="seen_correlated_at", lookup_expr="gte")

    class Meta:
        model = Correlation
        fields: ClassVar[list[str]] = ["over_correlating"]

    def by_benign(self, qs: QuerySet[Correlation], name: str, value: bool) -> QuerySet[Correlation]:
        return qs.exclude(benign="") if value else qs.filter(benign="")


class CampaignFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filters over what the asker sees of each campaign (the ``seen_*`` values of
    :func:`accord.analysis.selectors.campaign_list`): a partner's region or crime type matches
    only through the members it sees. It serves both a partner's own campaigns and host staff's
    stored ones, so it names no model. (The methods name those annotations through ``Q``: the
    type checker knows only the model's fields.)"""

    name = django_filters.CharFilter(lookup_expr="icontains")
    region = django_filters.ChoiceFilter(choices=Region.choices, method="by_region")
    crime_type = django_filters.CharFilter(method="by_crime", label="europol-incident tag or a part of it")
    seen_after = django_filters.IsoDateTimeFilter(field_name="seen_last", lookup_expr="gte")
    created_after = django_filters.IsoDateTimeFilter(field_name="seen_created", lookup_expr="gte")

    def by_region(self, qs: QuerySet[Campaign], name: str, value: str) -> QuerySet[Campaign]:
        return qs.filter(Q(seen_regions__icontains=f'"{value}"'))

    def by_crime(self, qs: QuerySet[Campaign], name: str, value: str) -> QuerySet[Campaign]:
        return qs.filter(Q(seen_crime_types__icontains=value))


class SightingFilter(django_filters.FilterSet):  # type: ignore[misc]
    """On the value as it was seen, like the list shows it."""

    type = django_filters.MultipleChoiceFilter(choices=ObservableType.choices)
    value = django_filters.CharFilter()
    seen_after = django_filters.IsoDateTimeFilter(field_name="last_seen", lookup_expr="gte")

    class Meta:
        model = Sighting
        fields: ClassVar[list[str]] = ["value"]
