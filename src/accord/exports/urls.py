"""UI routes of exports: the download behind the export buttons of the shared-data page."""

from django.urls import path

from accord.exports import views

app_name = "exports"

urlpatterns = [path("shared/export/<str:export_format>/", views.download, name="download")]
