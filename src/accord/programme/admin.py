"""Read-only admin views of secondment and training (changes go through the audited services)."""

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin
from accord.programme.models import (
    Certificate,
    Course,
    Enrolment,
    Expert,
    Officer,
    Secondment,
    SecondmentRequest,
    Skill,
    Sponsorship,
    TrainingSession,
)


@admin.register(Skill)
class SkillAdmin(ReadOnlyAdmin):
    list_display = ("code", "label")


@admin.register(Expert)
class ExpertAdmin(ReadOnlyAdmin):
    list_display = ("full_name", "organisation", "clearance_level", "clearance_expires", "is_active")
    list_filter = ("clearance_level", "is_active")
    search_fields = ("full_name", "email", "organisation__name")


@admin.register(SecondmentRequest)
class SecondmentRequestAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "purpose", "start", "end", "status")
    list_filter = ("purpose", "status")
    search_fields = ("reference", "title", "project")


@admin.register(Secondment)
class SecondmentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "expert", "organisation", "start", "end", "status")
    list_filter = ("status",)
    search_fields = ("reference", "expert__full_name")


@admin.register(Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "level", "delivery_mode", "duration_days", "is_active")
    list_filter = ("level", "delivery_mode")


@admin.register(TrainingSession)
class TrainingSessionAdmin(ReadOnlyAdmin):
    list_display = ("course", "region", "city", "country", "start", "end", "capacity", "cancelled")
    list_filter = ("region", "online", "cancelled")


@admin.register(Sponsorship)
class SponsorshipAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "kind", "amount", "estimated_value", "currency", "created_at")
    list_filter = ("kind", "currency")


@admin.register(Officer)
class OfficerAdmin(ReadOnlyAdmin):
    list_display = ("full_name", "organisation", "rank", "country")
    search_fields = ("full_name", "email")


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ("officer", "session", "status", "assessment_score")
    list_filter = ("status",)


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("code", "enrolment", "issued_on", "revoked_at")
    search_fields = ("code",)
