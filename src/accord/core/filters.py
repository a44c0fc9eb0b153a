"""One filter definition per model, shared by the API lists, the UI lists and the CLI."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accord.core.choices import OrganisationKind, OrganisationStatus, Region, ReliabilityGrade, Role, Sector
from accord.core.models import AuditEvent, Organisation, User
from accord.core.public_ids import RowId, parse
from accord.core.regions import country_choices

__all__ = [
    "AuditEventFilter",
    "OrganisationFilter",
    "PersonFilter",
    "PublicIdFilter",
    "StrictBooleanFilter",
    "WholeNumberFilter",
]


class PublicIdFormField(forms.IntegerField):
    """A whole number, read as a public id: the row it names, or row 0 (no row) for one that
    names none, so that an unknown id filters exactly as a missing one."""

    def to_python(self, value: Any) -> RowId | None:
        number = super().to_python(value)
        return None if number is None else parse(number)


class PublicIdFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """Filter on a covered model's id (``?submission=``, ``?observable=``) given as its public id."""

    field_class = PublicIdFormField


class WholeNumberFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """A filter on a whole number (an id, a year, a count): ``?group=4.5`` is refused, not read as
    a decimal no row has (django-filter's ``NumberFilter`` takes any decimal)."""

    field_class = forms.IntegerField


class _RawNullBooleanSelect(forms.NullBooleanSelect):
    """Django's yes/no/unknown select, handing the field the word as sent (Django's reads any
    word it does not know as "unknown")."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class StrictBooleanFormField(forms.NullBooleanField):
    """Yes, no, or no filter at all (left empty, or "unknown" as a page's select sends it); any
    other word is a mistake to name, not a filter to drop in silence (Django's field reads it as
    "no filter", so ``?is_active=flase`` listed everyone)."""

    widget = _RawNullBooleanSelect
    TRUE = ("true", "True", "1")
    FALSE = ("false", "False", "0")

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]  # None: no filter
        if value in (None, "", "unknown"):
            return None
        if value in self.TRUE or value is True:
            return True
        if value in self.FALSE or value is False:
            return False
        # The word goes in params: django-filter formats the message with them ("%" is no format).
        raise forms.ValidationError("'%(value)s' is not true or false.", code="invalid", params={"value": value})

    def validate(self, value: Any) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):  # type: ignore[misc]
    """A yes/no filter that refuses anything but true or false (``StrictBooleanFormField``)."""

    field_class = StrictBooleanFormField


class OrganisationFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.MultipleChoiceFilter(choices=OrganisationKind.choices)
    sector = django_filters.MultipleChoiceFilter(choices=Sector.choices)
    region = django_filters.MultipleChoiceFilter(choices=Region.choices)
    status = django_filters.MultipleChoiceFilter(choices=OrganisationStatus.choices)
    reliability = django_filters.MultipleChoiceFilter(choices=ReliabilityGrade.choices)
    country = django_filters.ChoiceFilter(choices=country_choices, empty_label="Any country")

    class Meta:
        model = Organisation
        fields: ClassVar[list[str]] = ["q", "kind", "sector", "region", "country", "status", "reliability"]

    def search(self, qs: QuerySet[Organisation], name: str, value: str) -> QuerySet[Organisation]:
        return qs.filter(Q(name__icontains=value) | Q(short_name__icontains=value))


class PersonFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(method="search", label="Search")
    role = django_filters.MultipleChoiceFilter(choices=Role.choices)
    organisation = WholeNumberFilter(field_name="organisation_id")
    region = django_filters.MultipleChoiceFilter(field_name="organisation__region", choices=Region.choices)
    is_active = StrictBooleanFilter()

    class Meta:
        model = User
        fields: ClassVar[list[str]] = ["q", "role", "organisation", "region", "is_active"]

    def search(self, qs: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return qs.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )


class AuditEventFilter(django_filters.FilterSet):  # type: ignore[misc]
    action = django_filters.CharFilter(lookup_expr="startswith")
    actor = django_filters.CharFilter(field_name="actor_username", lookup_expr="iexact")
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    organisation = WholeNumberFilter(field_name="organisation_id")
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: ClassVar[list[str]] = ["action", "actor", "object_type", "object_id", "organisation", "since", "until"]
