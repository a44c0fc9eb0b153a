"""UI routes of the analysis app."""

from django.urls import path

from accord.analysis import views

app_name = "analysis"

urlpatterns = [
    path("analysis/", views.analysis_home, name="home"),
    path("analysis/search/", views.search, name="search"),
    path("analysis/correlations/", views.correlation_list, name="correlation-list"),
    path("analysis/correlations/<public_id:observable_id>/", views.correlation_detail, name="correlation-detail"),
    path("analysis/campaigns/", views.campaign_list, name="campaign-list"),
    path("analysis/campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("analysis/exclusions/", views.exclusion_lists, name="exclusion-lists"),
    path("analysis/exclusions/<int:pk>/delete/", views.exclusion_list_delete, name="exclusion-list-delete"),
    path(
        "analysis/exclusions/<int:pk>/entries/<int:entry_id>/delete/",
        views.exclusion_entry_remove,
        name="exclusion-entry-remove",
    ),
    path("analysis/trends/", views.trends, name="trends"),
    path("analysis/reports/", views.report_list, name="report-list"),
    path("analysis/reports/new/", views.report_edit, name="report-create"),
    path("analysis/reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("analysis/reports/<int:pk>/edit/", views.report_edit, name="report-edit"),
    path("analysis/reports/<int:pk>/print/", views.report_print, name="report-print"),
]
