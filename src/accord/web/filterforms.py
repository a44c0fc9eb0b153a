"""Filter forms for people: each app's FilterSet (one definition, shared with the API and the
CLI) is shown on its page with labels in words, pickers by name where the API takes an id
(organisation, lead, group, course …), date inputs, yes/no selects and checkboxes instead of
multi-selects that need Ctrl-click. Only the form's presentation changes: the parameters, and so
the links, the API and the filtering, are the same.

Pickers list only what the person may see (each app's selector). Here, in the top layer, because
a page of one app picks rows of another (an operation's lead is an organisation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django_filters.fields import IsoDateTimeField

from accord.core import selectors as core
from accord.core.models import User
from accord.core.regions import country_choices
from accord.governance import selectors as governance
from accord.operations.choices import CrimeType
from accord.programme import selectors as programme

__all__ = ["LABELS", "dress"]

# Each filter parameter in words (the same name means the same thing on every page).
LABELS: dict[str, str] = {
    "q": "Search",
    "organisation": "Organisation",
    "lead": "Lead organisation",
    "participant": "Taking part",
    "host": "Host organisation",
    "group": "Group",
    "region": "Region",
    "country": "Country",
    "status": "Status",
    "kind": "Kind",
    "sector": "Sector",
    "reliability": "Source reliability",
    "role": "Role",
    "is_active": "Active",
    "added_after": "Shared from",
    "added_before": "Shared before",
    "starts_after": "Starts from",
    "starts_before": "Starts by",
    "ends_after": "Ends from",
    "ends_before": "Ends by",
    "since": "From",
    "until": "Until",
    "value_prefix": "Value starts with",
    "value": "Value",
    "observable": "Mentions exactly",
    "min_organisations": "Reported by at least (organisations)",
    "known_benign": "Known benign",
    "over_correlating": "Over-correlating",
    "correlated_after": "Correlated from",
    "seen_after": "Seen from",
    "created_after": "Appeared from",
    "last_seen_before": "Last seen before",
    "first_seen_after": "First seen from",
    "tlp": "TLP",
    "data_category": "Data category",
    "crime_type": "Crime type",
    "contents_of": "Contents of (STIX id)",
    "submission": "Submission",
    "graded": "Graded by an analyst",
    "type": "Type",
    "action": "Action (starts with)",
    "actor": "Username",
    "object_type": "Object type",
    "object_id": "Object id",
    "clearance_level": "Clearance",
    "skill": "Skill",
    "purpose": "Purpose",
    "expert": "Expert",
    "request": "Secondment request",
    "course": "Course",
    "session": "Session",
    "online": "Online",
    "cancelled": "Cancelled",
    "currency": "Currency",
    "officer": "Officer",
    "area": "Area",
    "meeting": "Meeting",
    "owner": "Owner",
    "overdue": "Overdue",
    "topic": "Topic",
    "tag": "Tag",
    "edition": "Year",
    "year": "Year",
    "speaker_sector": "Speaker's sector",
    "attended": "Attended",
    "current": "Current seats only",
    "level": "Level",
    "delivery_mode": "Delivery",
    "expires_within": "Ends within (days)",
    "name": "Name",
}


def _organisations(user: User) -> list[tuple[Any, str]]:
    return list(core.organisation_list(principal=user).order_by("name").values_list("pk", "name"))


def _groups(user: User) -> list[tuple[Any, str]]:
    return list(governance.group_list(principal=user).order_by("name").values_list("pk", "name"))


def _courses(user: User) -> list[tuple[Any, str]]:
    return [
        (pk, f"{code} · {title}")
        for pk, code, title in programme.course_list(principal=user).values_list("pk", "code", "title")
    ]


def _experts(user: User) -> list[tuple[Any, str]]:
    return list(programme.expert_list(principal=user).order_by("full_name").values_list("pk", "full_name"))


def _officers(user: User) -> list[tuple[Any, str]]:
    return list(programme.officer_list(principal=user).order_by("full_name").values_list("pk", "full_name"))


def _requests(user: User) -> list[tuple[Any, str]]:
    return [
        (pk, f"{reference} · {title}")
        for pk, reference, title in programme.request_list(principal=user).values_list("pk", "reference", "title")
    ]


def _people(user: User) -> list[tuple[Any, str]]:
    return [
        (pk, f"{first} {last}".strip() or username)
        for pk, first, last, username in core.person_list(principal=user)
        .order_by("last_name", "first_name")
        .values_list("pk", "first_name", "last_name", "username")
    ]


def _skills(user: User) -> list[tuple[Any, str]]:
    return list(programme.skill_list(principal=user).order_by("label").values_list("code", "label"))


def _crime_types(user: User) -> list[tuple[Any, str]]:
    return [(value, str(label)) for value, label in CrimeType.choices]


# What a parameter that takes an id (or a code) picks, by name, per filter parameter; a page
# whose FilterSet's parameter means something else names itself in ``_NOT_PICKED``.
PICKERS: dict[str, Callable[[User], list[tuple[Any, str]]]] = {
    "organisation": _organisations,
    "lead": _organisations,
    "participant": _organisations,
    "host": _organisations,
    "group": _groups,
    "course": _courses,
    "expert": _experts,
    "officer": _officers,
    "request": _requests,
    "owner": _people,
    "skill": _skills,
    "crime_type": _crime_types,
    "country": lambda user: country_choices(),
}
# The shared-data list offers as "Shared by" only the sources the reader may be told of (its view).
_NOT_PICKED = {
    ("CampaignFilter", "crime_type"),
    ("RegistrationFilter", "organisation"),
    ("StixObjectFilter", "organisation"),
}

_BOOLEAN_CHOICES = [("", "Any"), ("true", "Yes"), ("false", "No")]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DayOrMomentInput(forms.DateInput):
    """A date picker; a precise moment (a home page's "since your last visit" link) is shown as
    typed, in a text box, so that filtering again keeps it."""

    input_type = "date"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        shown = context["widget"]["value"]
        if shown and not _DAY.match(str(shown)):
            context["widget"]["type"] = "text"
        return context

    def format_value(self, value: Any) -> str | None:
        if value in (None, ""):
            return None
        return str(value) if isinstance(value, str) else value.isoformat()


def _words(name: str, label: Any) -> str:
    """A label written for people stays; one Django made up from the lookup gives way to ours."""
    text = str(label or "")
    generated = not text or "[invalid name]" in text or " is " in text or text == name or "_" in text or "(id" in text
    if not generated and text != name.replace("_", " ").capitalize():
        return text
    return LABELS.get(name) or (name.replace("_", " ").capitalize() if generated else text)


def dress(filterset: Any, user: User | None) -> Any:
    """``filterset``'s form, shown for people (once; the form keeps what was typed)."""
    form = filterset.form
    if getattr(form, "_dressed", False):
        return form
    kind = type(filterset).__name__
    for name, field in form.fields.items():
        field.label = _words(name, field.label)
        picker = PICKERS.get(name)
        if picker is not None and user is not None and (kind, name) not in _NOT_PICKED:
            if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
                field.widget = forms.Select(choices=[("", "Any"), *picker(user)])
                continue
            if not isinstance(field, forms.ChoiceField):
                field.widget = forms.Select(choices=[("", "Any"), *picker(user)])
                continue
        if isinstance(field, forms.MultipleChoiceField):
            field.widget = forms.CheckboxSelectMultiple(choices=list(field.choices))  # type: ignore[arg-type]
        elif isinstance(field, forms.ChoiceField):
            offered = [c for c in list(field.choices) if c[0] != ""]  # type: ignore[arg-type]
            field.widget = forms.Select(choices=[("", "Any"), *offered])
        elif isinstance(field, forms.NullBooleanField):
            field.widget = forms.Select(choices=_BOOLEAN_CHOICES)
        elif isinstance(field, IsoDateTimeField | forms.DateTimeField | forms.DateField):
            field.widget = DayOrMomentInput()
    # Its own ids: a page may hold a form of its own with the same field names (id_session …).
    form.auto_id = "filter_%s"
    form._dressed = True
    # Validation (the filterset's queryset) made the bound fields already, with the old labels.
    form._bound_fields_cache.clear()
    return form
