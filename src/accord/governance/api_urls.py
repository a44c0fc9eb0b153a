"""API routes of governance, mounted under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accord.governance import api

app_name = "governance-api"

router = SimpleRouter()
router.register("governance/groups", api.GroupViewSet, basename="group")
router.register("governance/memberships", api.MembershipViewSet, basename="membership")
router.register("governance/meetings", api.MeetingViewSet, basename="meeting")
router.register("governance/recommendations", api.RecommendationViewSet, basename="recommendation")
router.register("governance/practices", api.PracticeViewSet, basename="practice")
router.register("governance/conference/editions", api.EditionViewSet, basename="edition")
router.register("governance/conference/papers", api.PaperViewSet, basename="paper")
router.register("governance/conference/sessions", api.SessionViewSet, basename="session")
router.register("governance/conference/registrations", api.RegistrationViewSet, basename="registration")

urlpatterns = [path("governance/conference/hosting/", api.HostingView.as_view(), name="hosting"), *router.urls]
