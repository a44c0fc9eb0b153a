"""Read-only admin view of the shared-object store."""

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin
from accord.sharing.models import StixObject


@admin.register(StixObject)
class StixObjectAdmin(ReadOnlyAdmin):
    list_display = ("stix_id", "type", "organisation", "tlp", "data_category", "modified", "revoked")
    list_filter = ("type", "tlp", "data_category", "revoked")
    search_fields = ("stix_id",)
