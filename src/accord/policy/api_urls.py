"""API routes of the policy app, mounted under ``/api/v1/``."""

from django.urls import path

from accord.policy import api

app_name = "policy-api"

urlpatterns = [path("policy/explain/", api.ExplainView.as_view(), name="explain")]
