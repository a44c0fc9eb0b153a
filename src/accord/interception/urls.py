"""UI routes of payment interception."""

from django.urls import path

from accord.interception import views

app_name = "interception"

urlpatterns = [
    path("interceptions/", views.interception_list, name="interception-list"),
    path("interceptions/report/", views.interception_report, name="interception-report"),
    path("interceptions/directory/", views.bank_directory, name="bank-directory"),
    path("interceptions/report.csv", views.interception_report_csv, name="interception-report-csv"),
    path("interceptions/<str:reference>/", views.interception_detail, name="interception-detail"),
]
