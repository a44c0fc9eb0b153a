"""Read-only admin views of partnerships (changes go through the audited services)."""

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin
from accord.partners.models import Agreement, AgreementVersion, PartnershipApplication


@admin.register(PartnershipApplication)
class PartnershipApplicationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "organisation_name", "kind", "country", "status", "submitted_at")
    list_filter = ("status", "kind", "region")
    search_fields = ("reference", "organisation_name", "contact_email")


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("reference", "organisation", "kind", "status", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("reference", "title", "organisation__name")


@admin.register(AgreementVersion)
class AgreementVersionAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "number", "valid_from", "valid_until", "tlp_ceiling", "document_sha256")
