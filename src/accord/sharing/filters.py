"""Filters for shared objects and observables, shared by the API, the UI, the exports and the CLI.

A filter matches only what the reader may receive: a value the originator's agreement withholds
from the reader, or a source it may not name, behaves exactly as if it were not there, so that no
filter answers a question the object itself would not (count the matches of a guessed value, walk
a prefix one character at a time).
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accord.core.choices import DataCategory, Tlp
from accord.core.filters import PublicIdFilter, StrictBooleanFilter, WholeNumberFilter
from accord.core.models import User
from accord.formats.choices import ObservableType
from accord.policy import (
    Action,
    PrincipalContext,
    decide,
    nameable_sources,
    principal_context,
    withheld_links,
    withhold,
)
from accord.sharing.models import ObjectObservable, Observable, StixObject
from accord.sharing.selectors import submission_list
from accord.sharing.words import STIX_TYPES

__all__ = ["ObservableFilter", "StixObjectFilter"]


class _TypeSelect(forms.Select):
    """The type filter on a page: the common STIX types by name (the API takes any type)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, choices=[("", "Any type"), *STIX_TYPES.items()])


class _DateInput(forms.DateInput):
    """A date picker on a page (the API takes any ISO 8601 date or time)."""

    input_type = "date"


class StixObjectFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The objects-list filters, for one reader: ``principal`` (or the ``request``'s user; nobody
    without either, who is withheld everything an agreement withholds from anyone)."""

    type = django_filters.CharFilter(
        label="Type", help_text="A STIX type: indicator, observed-data, report …", widget=_TypeSelect
    )
    tlp = django_filters.MultipleChoiceFilter(choices=Tlp.choices, label="TLP", widget=forms.CheckboxSelectMultiple)
    organisation = WholeNumberFilter(method="by_organisation", label="Shared by this organisation (id)")
    data_category = django_filters.MultipleChoiceFilter(
        choices=DataCategory.choices, label="Kind of data", widget=forms.CheckboxSelectMultiple
    )
    crime_type = django_filters.CharFilter(lookup_expr="iexact", label="Crime type")
    observable = django_filters.CharFilter(method="by_value", label="Mentions exactly this value")
    value_prefix = django_filters.CharFilter(method="by_prefix", label="Mentions a value starting with")
    added_after = django_filters.IsoDateTimeFilter(
        field_name="added_at", lookup_expr="gte", label="Added on or after", widget=_DateInput
    )
    added_before = django_filters.IsoDateTimeFilter(
        field_name="added_at", lookup_expr="lt", label="Added before", widget=_DateInput
    )
    contents_of = django_filters.CharFilter(
        method="by_container", label="This object (a report, a grouping) and the objects its object_refs name"
    )
    submission = PublicIdFilter(method="by_submission", label="Stored by this submission (id)")
    graded = StrictBooleanFilter(method="by_graded", label="Graded by an analyst (information credibility given)")

    class Meta:
        model = StixObject
        fields: ClassVar[list[str]] = ["type", "tlp", "organisation", "data_category", "crime_type"]

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[StixObject] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        principal: Any = None,
        context: PrincipalContext | None = None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.principal = principal if principal is not None else getattr(request, "user", None)
        self._context = context

    @property
    def context(self) -> PrincipalContext:
        """Who is reading (computed once, on the first filter that needs it)."""
        if self._context is None:
            self._context = principal_context(self.principal)
        return self._context

    def _mentioning(self, qs: QuerySet[StixObject], condition: Q) -> QuerySet[StixObject]:
        """``qs`` (what the reader may see) narrowed to the objects that mention an observable
        meeting ``condition`` through a link the reader may learn (not ``withheld_links``)."""
        links = ObjectObservable.objects.filter(condition).exclude(withheld_links(self.context))
        return qs.filter(pk__in=links.values("stix_object_id"))

    def by_value(self, qs: QuerySet[StixObject], name: str, value: str) -> QuerySet[StixObject]:
        return self._mentioning(qs, Q(observable__value=value))

    def by_organisation(self, qs: QuerySet[StixObject], name: str, value: Any) -> QuerySet[StixObject]:
        # Only among the objects whose source the reader may be told: a source withheld from it
        # matches no filter, as it is named on no object.
        return qs.filter(nameable_sources(self.context), organisation_id=value)

    def by_container(self, qs: QuerySet[StixObject], name: str, value: str) -> QuerySet[StixObject]:
        # The container is looked up among what the asker may see (the queryset the filters
        # started from); one it may not see names nothing.
        container = self.queryset.filter(stix_id=value).order_by("-modified").first()
        if container is None:
            return qs.none()
        # Its references as the reader receives it: a reference its redactions or granular
        # markings withhold names nothing, so the filter does not tell what the report holds.
        decision = decide(self.context, container, Action.VIEW)
        refs = withhold(container.body, decision.redactions, decision.granular).get("object_refs", [])
        return qs.filter(stix_id__in=[value, *(ref for ref in refs if isinstance(ref, str))])

    def by_submission(self, qs: QuerySet[StixObject], name: str, value: Any) -> QuerySet[StixObject]:
        # Only a submission the reader may see (its organisation's; host staff every one): one
        # it may not see matches nothing, as a missing one, and groups no one else's objects.
        if not isinstance(self.principal, User):
            return qs.none()
        return qs.filter(submission__in=submission_list(principal=self.principal).filter(pk=value).values("pk"))

    def by_graded(self, qs: QuerySet[StixObject], name: str, value: bool | None) -> QuerySet[StixObject]:
        if value is None:
            return qs
        return qs.filter(credibility__isnull=not value)

    def by_prefix(self, qs: QuerySet[StixObject], name: str, value: str) -> QuerySet[StixObject]:
        return self._mentioning(qs, Q(observable__value__startswith=value))


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
