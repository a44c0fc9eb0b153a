"""Forms of the shared UI: shape checks only; rules live in the services."""

from __future__ import annotations

from django import forms

from accord.core.choices import TokenScope
from accord.core.services import MAX_TOKEN_DAYS

__all__ = ["TokenIssueForm"]


class TokenIssueForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'SIEM feed'.")
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple, initial=[TokenScope.READ]
    )
    days = forms.IntegerField(min_value=1, max_value=MAX_TOKEN_DAYS, initial=90, label="Valid for (days)")
