"""Filters for shared objects and observables, shared by the API, the UI and the CLI."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import QuerySet

from accord.core.choices import DataCategory, Tlp
from accord.sharing.choices import ObservableType
from accord.sharing.models import Observable, StixObject

__all__ = ["ObservableFilter", "StixObjectFilter"]


class StixObjectFilter(django_filters.FilterSet):  # type: ignore[misc]
    type = django_filters.CharFilter()
    tlp = django_filters.MultipleChoiceFilter(choices=Tlp.choices)
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    data_category = django_filters.MultipleChoiceFilter(choices=DataCategory.choices)
    crime_type = django_filters.CharFilter(lookup_expr="iexact")
    observable = django_filters.CharFilter(method="by_value", label="Mentions exactly this value")
    value_prefix = django_filters.CharFilter(method="by_prefix", label="Mentions a value starting with")
    added_after = django_filters.IsoDateTimeFilter(field_name="added_at", lookup_expr="gte")
    added_before = django_filters.IsoDateTimeFilter(field_name="added_at", lookup_expr="lt")
    contents_of = django_filters.CharFilter(
        method="by_container", label="This object (a report, a grouping) and the objects its object_refs name"
    )

    class Meta:
        model = StixObject
        fields: ClassVar[list[str]] = ["type", "tlp", "organisation", "data_category", "crime_type"]

    def by_value(self, qs: QuerySet[StixObject], name: str, value: str) -> QuerySet[StixObject]:
        linked = Observable.objects.filter(value=value).values("links__stix_object")
        return qs.filter(pk__in=linked)

    def by_container(self, qs: QuerySet[StixObject], name: str, value: str) -> QuerySet[StixObject]:
        # The container is looked up among what the asker may see (the queryset the filters
        # started from); one it may not see names nothing.
        container = self.queryset.filter(stix_id=value).order_by("-modified").first()
        if container is None:
            return qs.none()
        refs = container.body.get("object_refs", [])
        return qs.filter(stix_id__in=[value, *(ref for ref in refs if isinstance(ref, str))])

    def by_prefix(self, qs: QuerySet[StixObject], name: str, value: str) -> QuerySet[StixObject]:
        linked = Observable.objects.filter(value__startswith=value).values("links__stix_object")
        return qs.filter(pk__in=linked)


class ObservableFilter(django_filters.FilterSet):  # type: ignore[misc]
    type = django_filters.MultipleChoiceFilter(choices=ObservableType.choices)
    value = django_filters.CharFilter()
    value_prefix = django_filters.CharFilter(field_name="value", lookup_expr="startswith")
    # the dates as the asker may know them (see ``sharing.selectors.observable_list``)
    first_seen_after = django_filters.IsoDateTimeFilter(field_name="seen_first", lookup_expr="gte")
    last_seen_before = django_filters.IsoDateTimeFilter(field_name="seen_last", lookup_expr="lt")

    class Meta:
        model = Observable
        fields: ClassVar[list[str]] = ["type", "value"]
