"""Django admin for staff, read-only: every change goes through the services, which audit it."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core.models import ApiToken, AuditEvent, Organisation, User


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Browse and search; no add, change or delete (those bypass the audit chain)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "sector", "country", "region", "status", "reliability", "is_host")
    list_filter = ("kind", "sector", "region", "status", "reliability")
    search_fields = ("name", "short_name")


@admin.register(User)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("username", "email", "organisation", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "organisation__region")
    search_fields = ("username", "email", "first_name", "last_name")
    exclude = ("password",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "name", "user", "scopes", "expires_at", "last_used_at", "revoked_at")
    search_fields = ("key_id", "name", "user__username")
    exclude = ("secret_hash",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor_username", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("actor_username", "object_id", "action")


# django-otp's own admin pages would show authenticator secrets and QR codes and change devices
# outside the audit chain; second factors are managed on the people pages (accord.web), so the
# admin lists them read-only, secrets left out.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
