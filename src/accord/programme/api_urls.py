"""API routes of secondment and training, mounted under ``/api/v1/``."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from accord.programme import api

app_name = "programme-api"

router = SimpleRouter()
router.register("skills", api.SkillViewSet, basename="skill")
router.register("experts", api.ExpertViewSet, basename="expert")
router.register("secondment-requests", api.SecondmentRequestViewSet, basename="secondment-request")
router.register("secondments", api.SecondmentViewSet, basename="secondment")
router.register("courses", api.CourseViewSet, basename="course")
router.register("training-sessions", api.TrainingSessionViewSet, basename="training-session")
router.register("sponsorships", api.SponsorshipViewSet, basename="sponsorship")
router.register("officers", api.OfficerViewSet, basename="officer")
router.register("enrolments", api.EnrolmentViewSet, basename="enrolment")
router.register("certificates", api.CertificateViewSet, basename="certificate")

urlpatterns = [
    re_path(r"^programme-reports/(?P<name>[a-z-]+)/$", api.ReportView.as_view(), name="report"),
    *router.urls,
]
