"""UI routes of joint operations; the paths are those they had under governance, so bookmarks
keep working."""

from django.urls import path

from accord.operations import views

app_name = "operations"

urlpatterns = [
    path("governance/operations/", views.operation_list, name="operation-list"),
    path("governance/operations/<int:pk>/", views.operation_detail, name="operation-detail"),
    path("governance/operations/<int:pk>/report/", views.operation_report, name="operation-report"),
]
