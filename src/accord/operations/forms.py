"""Forms of the operations UI: shape only; the services enforce the rules."""

from __future__ import annotations

from django import forms

from accord.core.models import Organisation
from accord.core.regions import country_choices
from accord.operations.choices import CrimeType

__all__ = ["OperationForm", "OutcomeForm", "ParticipantsForm", "PhaseForm"]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OperationForm(forms.Form):
    name = forms.CharField(max_length=200)
    crime_types = forms.MultipleChoiceField(choices=CrimeType.choices, widget=forms.CheckboxSelectMultiple)
    lead = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind__in=["law_enforcement", "international_org"])
    )
    participants = forms.ModelMultipleChoiceField(queryset=Organisation.objects.all(), required=False)
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class OutcomeForm(forms.Form):
    date = forms.DateField(widget=DATE)
    country = forms.ChoiceField(choices=[("", "—"), *country_choices()], required=False)
    arrests = forms.IntegerField(initial=0)
    searches = forms.IntegerField(initial=0)
    servers_taken_down = forms.IntegerField(initial=0)
    domains_taken_down = forms.IntegerField(initial=0)
    accounts_blocked = forms.IntegerField(initial=0)
    funds_frozen = forms.DecimalField(initial=0, decimal_places=2)
    funds_recovered = forms.DecimalField(initial=0, decimal_places=2)
    currency = forms.CharField(max_length=3, required=False)
    victims_identified = forms.IntegerField(initial=0)
    victims_notified = forms.IntegerField(initial=0)
    devices_remediated = forms.IntegerField(initial=0)
    note = forms.CharField(required=False)


class PhaseForm(forms.Form):
    name = forms.CharField(max_length=120)
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE)
    description = forms.CharField(required=False)


class ParticipantsForm(forms.Form):
    participants = forms.ModelMultipleChoiceField(queryset=Organisation.objects.all(), required=False)
