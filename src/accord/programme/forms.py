"""Forms of the programme UI: shape only; the services enforce the rules.

Lists that the API takes as JSON (languages, availability windows) are typed here as short
text, e.g. ``en:C1, fr:B2`` and one ``2027-01-01..2027-06-30`` window a line.
"""

from __future__ import annotations

from typing import Any

from django import forms

from accord.core.choices import OrganisationKind, Region
from accord.core.models import Organisation, User
from accord.core.regions import country_choices
from accord.programme.choices import (
    ClearanceLevel,
    CourseLevel,
    DeliveryMode,
    InKindItem,
    SecondmentPurpose,
    SponsorshipKind,
)
from accord.programme.models import Course, Expert, Officer, Skill

__all__ = [
    "AttendanceForm",
    "CertificateCheckForm",
    "CourseForm",
    "ExpertForm",
    "NominateForm",
    "OfficerForm",
    "RequestForm",
    "SessionForm",
    "SponsorshipForm",
    "parse_languages",
    "parse_windows",
]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LEVELS = [("", "—")] + [(str(n), str(n)) for n in range(1, 6)]


def parse_languages(text: str) -> list[dict[str, str]]:
    """``en:C1, fr:B2`` → ``[{"language": "en", "proficiency": "C1"}, …]`` (checked by the service)."""
    entries = []
    for part in text.replace(";", ",").split(","):
        if part.strip():
            language, _, level = part.strip().partition(":")
            entries.append({"language": language.strip(), "proficiency": level.strip()})
    return entries


def parse_windows(text: str) -> list[dict[str, str]]:
    """One ``start..end`` window a line → ``[{"start": …, "end": …}]`` (checked by the service)."""
    windows = []
    for line in text.splitlines():
        if line.strip():
            start, _, end = line.strip().partition("..")
            windows.append({"start": start.strip(), "end": end.strip()})
    return windows


class SkillLevelsMixin(forms.Form):
    """One level field per skill of the vocabulary, named ``skill_<code>``."""

    skill_help = "Level 1–5"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for skill in Skill.objects.all():
            self.fields[f"skill_{skill.code}"] = forms.TypedChoiceField(
                choices=LEVELS,
                coerce=int,
                empty_value=None,
                required=False,
                label=skill.label,
                help_text=self.skill_help,
            )

    def skill_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("skill_")]

    def skills(self) -> dict[str, int]:
        return {
            name.removeprefix("skill_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("skill_") and value
        }


class ExpertForm(SkillLevelsMixin):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(is_host=False), required=False, help_text="Default: your organisation."
    )
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField()
    job_title = forms.CharField(max_length=120, required=False)
    languages = forms.CharField(required=False, help_text="e.g. en:C1, fr:B2 (ISO 639-1 and CEFR).")
    clearance_level = forms.ChoiceField(choices=ClearanceLevel.choices, initial=ClearanceLevel.NONE)
    clearance_expires = forms.DateField(required=False, widget=DATE)
    availability = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="One window a line: 2027-01-01..2027-06-30"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active (may be proposed)")


class RequestForm(SkillLevelsMixin):
    skill_help = "Minimum level"
    title = forms.CharField(max_length=200)
    unit = forms.CharField(max_length=120)
    project = forms.CharField(max_length=200, label="Project or operation")
    purpose = forms.ChoiceField(choices=SecondmentPurpose.choices)
    location_city = forms.CharField(max_length=120, label="City")
    location_country = forms.ChoiceField(choices=country_choices, label="Country", initial="SG")
    start = forms.DateField(widget=DATE)
    end = forms.DateField(widget=DATE)
    languages = forms.CharField(required=False, help_text="e.g. en:B2, fr:B1")
    clearance = forms.ChoiceField(choices=ClearanceLevel.choices, initial=ClearanceLevel.NONE)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CourseForm(forms.Form):
    code = forms.CharField(max_length=20)
    title = forms.CharField(max_length=200)
    topic = forms.CharField(max_length=120)
    level = forms.ChoiceField(choices=CourseLevel.choices)
    delivery_mode = forms.ChoiceField(choices=DeliveryMode.choices)
    duration_days = forms.IntegerField(min_value=1, max_value=365)
    learning_outcomes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="One a line.")
    pass_score = forms.IntegerField(min_value=0, max_value=100, initial=70)


class SessionForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.filter(is_active=True))
    start = forms.DateField(widget=DATE)
    end = forms.DateField(widget=DATE)
    capacity = forms.IntegerField(min_value=1, max_value=1000)
    language = forms.CharField(max_length=2, initial="en", help_text="ISO 639-1, e.g. en, fr, es, ar.")
    online = forms.BooleanField(required=False)
    city = forms.CharField(max_length=120, required=False)
    country = forms.ChoiceField(choices=[("", "—")] + country_choices(), required=False)
    region = forms.ChoiceField(choices=[("", "From the country")] + Region.choices, required=False)
    trainer_experts = forms.ModelMultipleChoiceField(
        queryset=Expert.objects.filter(is_active=True).select_related("organisation"), required=False
    )
    trainer_staff = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).exclude(organisation__kind=OrganisationKind.LAW_ENFORCEMENT),
        required=False,
    )


class SponsorshipForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.filter(is_host=False))
    session = forms.IntegerField(required=False, help_text="A session's number, or leave empty and pick a course.")
    course = forms.ModelChoiceField(queryset=Course.objects.all(), required=False)
    kind = forms.ChoiceField(choices=SponsorshipKind.choices)
    amount = forms.CharField(required=False, help_text="Financial: the amount.")
    in_kind_items = forms.MultipleChoiceField(
        choices=InKindItem.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    estimated_value = forms.CharField(required=False, help_text="In kind: the estimated value.")
    currency = forms.CharField(max_length=3, required=False, help_text="ISO 4217, e.g. EUR, USD, SGD.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class OfficerForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.LAW_ENFORCEMENT),
        required=False,
        help_text="Default: your unit.",
    )
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField()
    rank = forms.CharField(max_length=80, required=False)
    unit = forms.CharField(max_length=120, required=False)


class NominateForm(forms.Form):
    officer = forms.ModelChoiceField(queryset=Officer.objects.none())
    waitlist = forms.BooleanField(required=False, label="Join the waiting list if the session is full")

    def __init__(self, *args: Any, officers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["officer"]
        if officers is not None and isinstance(field, forms.ModelChoiceField):
            field.queryset = officers


class AttendanceForm(forms.Form):
    """One row of the attendance sheet."""

    enrolment = forms.IntegerField(widget=forms.HiddenInput)
    attended = forms.BooleanField(required=False)
    score = forms.IntegerField(min_value=0, max_value=100, required=False)


class CertificateCheckForm(forms.Form):
    """The public certificate check: the code as printed (any case, dashes optional) and,
    optionally, the holder's name as the checker knows it."""

    code = forms.CharField(
        max_length=40,
        label="Certificate code",
        help_text="As printed on the certificate, for example ABCD-EFGH-JKMN-PQRS; dashes and case do not matter.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    holder = forms.CharField(
        max_length=200,
        required=False,
        label="Holder's name (optional)",
        help_text="Type the name you were given: the check says whether it matches, never what is stored.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"])
        if sum(ch.isalnum() for ch in code) != 16:
            raise forms.ValidationError("A certificate code has 16 letters and digits (four groups of four).")
        return code
