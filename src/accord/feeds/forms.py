"""The feed form of the admin UI: shape only; the feed service decides."""

from __future__ import annotations

from typing import Any

import orjson
from django import forms

from accord.core.choices import Tlp
from accord.core.models import Organisation
from accord.feeds.models import FeedKind
from accord.partners.choices import AgreementKind
from accord.partners.models import Agreement

__all__ = ["FeedForm"]


class FeedForm(forms.Form):
    name = forms.SlugField(max_length=64, help_text="Letters, digits, hyphens, underscores.")
    kind = forms.ChoiceField(choices=FeedKind.choices)
    url = forms.URLField(
        max_length=1000,
        assume_scheme="https",
        label="URL",
        help_text="TAXII: API root; MISP: feed folder; CSV: the file.",
    )
    collection = forms.CharField(required=False, help_text="TAXII collection id.")
    username = forms.CharField(required=False, help_text="For HTTP Basic; empty sends the token as Bearer.")
    token = forms.CharField(required=False, widget=forms.PasswordInput, help_text="Kept encrypted.")
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.order_by("name"), help_text="Whose data.")
    agreement = forms.ModelChoiceField(
        queryset=Agreement.objects.filter(kind=AgreementKind.DATA_SHARING).order_by("reference"),
        required=False,
        help_text="Empty: the organisation's data-sharing agreement in force.",
    )
    tlp = forms.ChoiceField(choices=[("", "The agreement's default")] + Tlp.choices, required=False, label="TLP")
    mapping = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='CSV only: {"type": "=url", "value": "url", "header": […]}',
    )
    interval_minutes = forms.IntegerField(min_value=1, initial=60, label="Every (minutes)")
    strict = forms.BooleanField(
        required=False, help_text="Each event or file all or nothing: if any object is refused, it is skipped whole."
    )

    def clean_mapping(self) -> dict[str, Any]:
        text = self.cleaned_data["mapping"].strip()
        if not text:
            return {}
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("Expected a JSON object.")
        return value
