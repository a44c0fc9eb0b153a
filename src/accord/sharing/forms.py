"""Forms of the sharing UI: shape only; the ingest service decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.core.choices import Tlp
from accord.core.models import Organisation

__all__ = ["AddressForm", "ExtendRetentionForm", "FreeTextForm", "RestoreForm", "SubmissionForm"]

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


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


TEXT_MAX_BYTES = 2 * 1024 * 1024  # a longer text is shared as a file, read without review


class FreeTextForm(forms.Form):
    """Text to review before sharing: pasted, or a UTF-8 file (one of the two)."""

    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        label="Text",
        help_text="A report, an e-mail, notes: defanged values (hxxp, [.]) are read too.",
    )
    file = forms.FileField(required=False, label="Or a text file", help_text="UTF-8 text, up to 2 MB.")
    tlp = forms.ChoiceField(
        choices=[("", "The agreement's default")] + Tlp.choices,
        required=False,
        label="TLP",
        help_text="For every value you keep.",
    )
    agreement = forms.CharField(required=False, help_text="Leave empty for your data-sharing agreement in force.")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload and data.get("text"):
            raise forms.ValidationError("Paste text or choose a file, not both.")
        if upload:
            if upload.size > TEXT_MAX_BYTES:
                self.add_error("file", "Over 2 MB: share it as a file on the Share page instead.")
                return data
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", "Not UTF-8 text.")
                return data
            data["filename"] = upload.name
        elif not (data.get("text") or "").strip():
            self.add_error("text", "Paste some text, or choose a file.")
        elif len(data["text"].encode()) > TEXT_MAX_BYTES:
            self.add_error("text", "Over 2 MB: share it as a file on the Share page instead.")
        return data


class RestoreForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Why it is shared again (recorded in the audit log)."
    )


class AddressForm(forms.Form):
    organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        help_text="They receive it as if it had been addressed to them when it was shared.",
    )

    def __init__(self, *args: Any, choices: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisations"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 - declared above
        field.queryset = choices


class ExtendRetentionForm(forms.Form):
    until = forms.DateTimeField(widget=DATETIME, help_text="When its retention ends now (your time zone: UTC).")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Why it is kept longer (recorded in the audit log)."
    )
