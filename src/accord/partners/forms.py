"""Forms of the partnership UI: shape only; the services enforce the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from accord.core.choices import ContributionArea, DataCategory, OrganisationKind, Purpose, Region, Sector, Tlp
from accord.core.models import Organisation
from accord.core.regions import country_choices
from accord.partners.choices import (
    AffectedPartyNotifications,
    AgreementKind,
    ChecklistItem,
    EncryptAtRest,
    EncryptInTransit,
    ObfuscateAffectedParties,
    Pap,
    PermittedActions,
    ProviderAttribution,
    UnmodifiedResale,
)

__all__ = [
    "ActivateForm",
    "AgreementForm",
    "AmendForm",
    "ApplicationForm",
    "ChecklistForm",
    "CommentForm",
    "DocumentForm",
    "ReasonForm",
    "TransitionForm",
]

Multi = forms.CheckboxSelectMultiple
DATE = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ApplicationForm(forms.Form):
    organisation_name = forms.CharField(max_length=200, label="Organisation")
    kind = forms.ChoiceField(choices=OrganisationKind.choices, label="Kind of organisation")
    sector = forms.ChoiceField(
        choices=[("", "—")] + Sector.choices, required=False, help_text="Required for private companies."
    )
    country = forms.ChoiceField(choices=[("", "Choose a country")] + country_choices())
    website = forms.URLField(required=False, assume_scheme="https")
    contact_name = forms.CharField(max_length=200, label="Contact person")
    contact_email = forms.EmailField(label="Contact e-mail")
    contribution_areas = forms.MultipleChoiceField(
        choices=ContributionArea.choices, widget=Multi, label="How could you contribute?"
    )
    proposal = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Your proposal",
        help_text="Other areas where your organisation could support our cybercrime work: a discussion starts here.",
    )
    listed_publicly = forms.BooleanField(required=False, label="List us in the public partner directory once active")


class TransitionForm(forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ChecklistForm(forms.Form):
    item = forms.ChoiceField(choices=ChecklistItem.choices, widget=forms.HiddenInput)
    done = forms.BooleanField(required=False)
    note = forms.CharField(required=False, max_length=500)


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment")


class TermsFields(forms.Form):
    """The data-sharing terms, with the programme's usual values as defaults."""

    encrypt_in_transit = forms.ChoiceField(choices=EncryptInTransit.choices, initial="must", required=False)
    permitted_actions = forms.ChoiceField(
        choices=PermittedActions.choices, initial="internally-visible-actions", required=False
    )
    affected_party_notifications = forms.ChoiceField(
        choices=AffectedPartyNotifications.choices, initial="may", required=False
    )
    iep_tlp = forms.ChoiceField(choices=Tlp.choices, initial=Tlp.AMBER, required=False, label="IEP tlp")
    provider_attribution = forms.ChoiceField(choices=ProviderAttribution.choices, initial="may", required=False)
    unmodified_resale = forms.ChoiceField(choices=UnmodifiedResale.choices, initial="must-not", required=False)
    encrypt_at_rest = forms.ChoiceField(choices=EncryptAtRest.choices, initial="must", required=False)
    obfuscate_affected_parties = forms.ChoiceField(
        choices=ObfuscateAffectedParties.choices, initial="may", required=False
    )
    data_categories = forms.MultipleChoiceField(
        choices=DataCategory.choices,
        widget=Multi,
        required=False,
        initial=[DataCategory.TECHNICAL_INDICATOR, DataCategory.INCIDENT_REPORT],
    )
    purposes = forms.MultipleChoiceField(
        choices=Purpose.choices, widget=Multi, required=False, initial=[Purpose.INVESTIGATION, Purpose.PREVENTION]
    )
    tlp_ceiling = forms.ChoiceField(
        choices=Tlp.choices, initial=Tlp.AMBER, required=False, help_text="The highest TLP the partner may receive."
    )
    default_tlp = forms.ChoiceField(
        choices=Tlp.choices,
        initial=Tlp.AMBER,
        required=False,
        help_text="Applied to what it submits without a marking.",
    )
    onward_kinds = forms.MultipleChoiceField(
        choices=OrganisationKind.choices,
        widget=Multi,
        required=False,
        initial=[OrganisationKind.LAW_ENFORCEMENT],
        label="Onward sharing to kinds",
    )
    onward_regions = forms.MultipleChoiceField(
        choices=Region.choices,
        widget=Multi,
        required=False,
        initial=list(Region.values),
        label="Onward sharing to regions",
    )
    onward_redactions = forms.MultipleChoiceField(
        choices=DataCategory.choices, widget=Multi, required=False, label="Redact on onward sharing"
    )
    retention_days = forms.IntegerField(min_value=1, max_value=36500, initial=730, required=False)
    pap = forms.ChoiceField(choices=Pap.choices, initial="green", required=False, label="PAP")
    payment_interception = forms.BooleanField(
        required=False, label="Takes payment-interception requests", help_text="A bank or an exchange."
    )
    interception_ack_hours = forms.IntegerField(
        min_value=1, max_value=168, required=False, label="Hours to acknowledge", help_text="Empty: 1 hour."
    )
    interception_outcome_hours = forms.IntegerField(
        min_value=1, max_value=720, required=False, label="Hours to a first outcome", help_text="Empty: 24 hours."
    )

    def terms(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in TermsFields.base_fields}


class AgreementForm(TermsFields):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(is_host=False).exclude(status="terminated")
    )
    kind = forms.ChoiceField(choices=AgreementKind.choices, initial=AgreementKind.DATA_SHARING)
    title = forms.CharField(max_length=200)
    valid_from = forms.DateTimeField(widget=DATE, initial=timezone.now)
    valid_until = forms.DateTimeField(widget=DATE, required=False)
    field_order = ["organisation", "kind", "title", "valid_from", "valid_until"]


class AmendForm(TermsFields):
    change_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="What the amendment changes")
    valid_from = forms.DateTimeField(widget=DATE)
    valid_until = forms.DateTimeField(widget=DATE, required=False)
    field_order = ["change_note", "valid_from", "valid_until"]


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ActivateForm(ReasonForm):
    """Activation, with the audited override for a data-sharing agreement that has no signed document."""

    override_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Activate without the signed document, because",
        help_text="Platform administrators only; recorded in the audit log.",
    )


class DocumentForm(forms.Form):
    document = forms.FileField(help_text="The signed agreement, as a PDF.")
