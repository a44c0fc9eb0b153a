"""API routes of exports, mounted under ``/api/v1/``."""

from django.urls import re_path

from accord.exports import api

app_name = "exports-api"

urlpatterns = [re_path(r"^exports/(?P<export_format>[^/.]+)/$", api.ExportView.as_view(), name="export")]
