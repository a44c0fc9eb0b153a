"""Forms of the governance UI: shape only; the services enforce the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.core.choices import Tlp
from accord.core.models import User
from accord.core.regions import country_choices
from accord.governance.choices import (
    AttendanceStatus,
    MembershipRole,
    PaperStatus,
    PracticeTopic,
    RecommendationArea,
    SessionKind,
    SpeakerSector,
)
from accord.governance.models import Group, Membership

__all__ = [
    "ActionItemForm",
    "AttendanceForm",
    "CancelForm",
    "DocumentForm",
    "MeetingEditForm",
    "MeetingForm",
    "MembershipEndForm",
    "PaperForm",
    "PaperReviewForm",
    "SessionForm",
    "MembershipForm",
    "MinutesForm",
    "PracticeForm",
    "RecommendationForm",
    "RegistrationForm",
    "TransitionForm",
]

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class MembershipForm(forms.Form):
    person = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).select_related("organisation"))
    role = forms.ChoiceField(choices=MembershipRole.choices, initial=MembershipRole.MEMBER)
    term_start = forms.DateField(widget=DATE)
    term_end = forms.DateField(widget=DATE, required=False)


class MeetingEditForm(forms.Form):
    """A meeting's title, dates, place, themes and agenda (the schedule form adds its groups)."""

    title = forms.CharField(max_length=200)
    starts_at = forms.DateTimeField(widget=DATETIME)
    ends_at = forms.DateTimeField(widget=DATETIME)
    city = forms.CharField(max_length=100)
    country = forms.ChoiceField(choices=country_choices)
    themes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One per line.")
    agenda = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="One item per line.")

    def cleaned(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["themes"], data["agenda"] = _lines(data["themes"]), _lines(data["agenda"])
        return data


class MeetingForm(MeetingEditForm):
    groups = forms.ModelMultipleChoiceField(queryset=Group.objects.all(), widget=forms.CheckboxSelectMultiple)
    field_order = ("title", "groups")

    def cleaned(self) -> dict[str, Any]:
        data = super().cleaned()
        data["groups"] = list(data["groups"])
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DocumentForm(forms.Form):
    title = forms.CharField(max_length=200)
    file = forms.FileField()


class MembershipEndForm(forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.none())
    term_end = forms.DateField(widget=DATE)

    def __init__(self, *args: Any, memberships: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if memberships is not None:
            self.fields["membership"].queryset = memberships  # type: ignore[attr-defined]


class ActionItemForm(forms.Form):
    recommendation = forms.IntegerField(widget=forms.HiddenInput)
    description = forms.CharField(max_length=300)
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)
    due_date = forms.DateField(widget=DATE, required=False)


class PaperForm(forms.Form):
    title = forms.CharField(max_length=200)
    abstract = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    speaker_name = forms.CharField(max_length=200)
    speaker_organisation = forms.CharField(max_length=200, required=False)
    speaker_sector = forms.ChoiceField(choices=SpeakerSector.choices)


class PaperReviewForm(forms.Form):
    paper = forms.IntegerField(widget=forms.HiddenInput)
    to = forms.ChoiceField(choices=[c for c in PaperStatus.choices if c[0] != PaperStatus.SUBMITTED])
    note = forms.CharField(required=False)


class SessionForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=SessionKind.choices)
    starts_at = forms.DateTimeField(widget=DATETIME)
    ends_at = forms.DateTimeField(widget=DATETIME)
    room = forms.CharField(max_length=100, required=False)
    speakers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line: name | organisation | sector (" + ", ".join(SpeakerSector.values) + ").",
    )

    def cleaned(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        speakers = []
        for line in _lines(data["speakers"]):
            parts = [p.strip() for p in line.split("|")] + ["", ""]
            speakers.append({"name": parts[0], "organisation": parts[1], "sector": parts[2]})
        data["speakers"] = speakers
        return data


class MinutesForm(forms.Form):
    minutes = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), required=False, help_text="Markdown.")


class AttendanceForm(forms.Form):
    person = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True))
    status = forms.ChoiceField(choices=AttendanceStatus.choices)


class RecommendationForm(forms.Form):
    group = forms.ModelChoiceField(queryset=Group.objects.all())
    title = forms.CharField(max_length=200)
    area = forms.ChoiceField(choices=RecommendationArea.choices)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)
    due_date = forms.DateField(widget=DATE, required=False)

    def __init__(self, *args: Any, groups: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if groups is not None:
            self.fields["group"].queryset = groups  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    to = forms.CharField(max_length=32)
    note = forms.CharField(required=False)


class PracticeForm(forms.Form):
    group = forms.ModelChoiceField(queryset=Group.objects.all())
    title = forms.CharField(max_length=200)
    topic = forms.ChoiceField(choices=PracticeTopic.choices)
    tlp = forms.ChoiceField(choices=[c for c in Tlp.choices if c[0] != Tlp.RED], initial=Tlp.AMBER)
    tags = forms.CharField(required=False, help_text="Comma-separated.")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, help_text="Markdown.")
    document = forms.FileField(required=False)

    def cleaned(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["tags"] = [t.strip() for t in data["tags"].split(",") if t.strip()]
        return data


class RegistrationForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField()
    organisation = forms.CharField(max_length=200, required=False)
    sector = forms.ChoiceField(choices=SpeakerSector.choices)
    country = forms.ChoiceField(choices=country_choices)
