"""Forms of the analyst workbench: shape only; the analysis services enforce every rule."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accord.analysis.models import IntelReport
from accord.core.choices import Region, Tlp
from accord.core.models import Organisation
from accord.formats.choices import ObservableType

__all__ = [
    "CampaignForm",
    "CampaignMergeForm",
    "CampaignNoteForm",
    "CampaignSplitForm",
    "ExclusionEntryForm",
    "ExclusionListForm",
    "IntelReportForm",
]

Multi = forms.CheckboxSelectMultiple
TEXT = forms.Textarea(attrs={"rows": 3})


class CampaignForm(forms.Form):
    """Name and describe a campaign."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=TEXT, required=False)


class CampaignNoteForm(forms.Form):
    """An analyst's note on a campaign."""

    text = forms.CharField(widget=TEXT, label="Note")


class CampaignMergeForm(forms.Form):
    """Campaigns to merge into the one on the page, and why they belong together."""

    campaigns = forms.MultipleChoiceField(choices=(), widget=Multi, label="Merge with")
    reason = forms.CharField(max_length=500)

    def __init__(self, *args: Any, others: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["campaigns"]).choices = [(str(pk), label) for pk, label in others]


class CampaignSplitForm(forms.Form):
    """Observables to cut (no real link), and why."""

    observables = forms.MultipleChoiceField(choices=(), widget=Multi, label="Observables to cut")
    reason = forms.CharField(max_length=500)

    def __init__(self, *args: Any, observables: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["observables"]).choices = [(str(pk), label) for pk, label in observables]


class ExclusionListForm(forms.Form):
    """A new local list of known-benign values."""

    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=TEXT, required=False)


class ExclusionEntryForm(forms.Form):
    """A value or pattern for a local list (``10.0.0.0/8``, ``*.example.org``)."""

    type = forms.ChoiceField(choices=ObservableType.choices)
    pattern = forms.CharField(max_length=2048, help_text="A value, a CIDR network, or *.domain for a domain.")
    comment = forms.CharField(max_length=500, required=False)


class IntelReportForm(forms.Form):
    """A draft intelligence report: text, handling, audience and content."""

    title = forms.CharField(max_length=300)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
    assessment = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    tlp = forms.ChoiceField(
        choices=[c for c in Tlp.choices if c[0] not in (Tlp.RED, Tlp.AMBER_STRICT)], initial=Tlp.AMBER, label="TLP"
    )
    audience = forms.ChoiceField(choices=IntelReport.Audience.choices)
    audience_organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.filter(is_host=False).order_by("name"),
        widget=Multi,
        required=False,
        label="Organisations",
        help_text="For an audience of named organisations.",
    )
    audience_regions = forms.MultipleChoiceField(
        choices=Region.choices, widget=Multi, required=False, label="Regions", help_text="For an audience of regions."
    )
    campaigns = forms.MultipleChoiceField(choices=(), widget=Multi, required=False)
    objects = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Objects",
        help_text="STIX ids of further objects, one a line.",
    )

    def __init__(self, *args: Any, campaigns: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["campaigns"]).choices = [(str(pk), label) for pk, label in campaigns]

    def arguments(self) -> dict[str, Any]:
        """The cleaned data as ``report_save`` takes it."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "summary": data["summary"],
            "assessment": data["assessment"],
            "tlp": data["tlp"],
            "audience": data["audience"],
            "audience_organisations": [o.pk for o in data["audience_organisations"]],
            "audience_regions": list(data["audience_regions"]),
            "campaign_ids": [int(pk) for pk in data["campaigns"]],
            "object_ids": [line.strip() for line in data["objects"].splitlines() if line.strip()],
        }
