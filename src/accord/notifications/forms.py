"""Forms of the notification pages: preferences and a webhook."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.core.choices import Tlp
from accord.notifications.choices import Channel, Digest
from accord.notifications.events import EVENT_TYPES, webhook_event_types

__all__ = ["PreferencesForm", "WebhookForm"]


class PreferencesForm(forms.Form):
    """One choice per event type people are told of, and the e-mail rhythm."""

    digest = forms.ChoiceField(choices=Digest.choices, label="E-mails")

    def __init__(self, *args: Any, rows: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in rows:
            self.fields[row["event_type"]] = forms.ChoiceField(
                choices=Channel.choices, label=row["label"], help_text=row["about"], initial=row["channel"]
            )

    def channels(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if k in EVENT_TYPES}


def _words(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.CharField(max_length=1000, label="URL", help_text="https://… (http:// only to this machine).")
    event_types = forms.MultipleChoiceField(
        choices=lambda: [(e.key, e.label) for e in webhook_event_types()],
        widget=forms.CheckboxSelectMultiple,
        label="Events",
    )
    tlps = forms.MultipleChoiceField(
        choices=Tlp.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Only these TLPs",
        help_text="New objects: none ticked takes every TLP you may receive.",
    )
    stix_types = forms.CharField(
        required=False, label="Only these STIX types", help_text="New objects: comma-separated, e.g. indicator, url."
    )
    crime_types = forms.CharField(
        required=False, label="Only these crime types", help_text="New objects: comma-separated, e.g. phishing."
    )

    def clean_stix_types(self) -> list[str]:
        return _words(self.cleaned_data.get("stix_types", ""))

    def clean_crime_types(self) -> list[str]:
        return _words(self.cleaned_data.get("crime_types", ""))
