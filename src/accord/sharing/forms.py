"""Forms of the sharing UI: shape only; the ingest service decides."""

from __future__ import annotations

from django import forms

from accord.core.choices import Tlp

__all__ = ["SubmissionForm"]


class SubmissionForm(forms.Form):
    file = forms.FileField(help_text="A STIX 2.1 bundle, a MISP event (JSON), a CSV file (type,value,…) or text.")
    format = forms.ChoiceField(
        choices=[("auto", "Detect"), ("stix", "STIX 2.1"), ("misp", "MISP JSON"), ("csv", "CSV"), ("text", "Text")],
        initial="auto",
        required=False,
    )
    tlp = forms.ChoiceField(
        choices=[("", "The agreement's default")] + Tlp.choices,
        required=False,
        label="TLP",
        help_text="For objects that carry no marking of their own.",
    )
    agreement = forms.CharField(required=False, help_text="Leave empty for your data-sharing agreement in force.")
    strict = forms.BooleanField(
        required=False, help_text="All or nothing: if any object is refused, nothing of the file is stored."
    )
