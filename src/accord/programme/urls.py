"""UI routes of secondment and training, and the public certificate check."""

from django.urls import path

from accord.programme import views

app_name = "programme"

urlpatterns = [
    path("programme/", views.home, name="home"),
    path("programme/experts/", views.expert_list, name="expert-list"),
    path("programme/experts/new/", views.expert_create, name="expert-create"),
    path("programme/experts/<int:pk>/", views.expert_detail, name="expert-detail"),
    path("programme/experts/<int:pk>/edit/", views.expert_create, name="expert-edit"),
    path("programme/requests/", views.request_list, name="request-list"),
    path("programme/requests/new/", views.request_create, name="request-create"),
    path("programme/requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("programme/secondments/", views.secondment_list, name="secondment-list"),
    path("programme/secondments/<int:pk>/", views.secondment_detail, name="secondment-detail"),
    path("programme/courses/", views.course_list, name="course-list"),
    path("programme/sessions/", views.session_list, name="session-list"),
    path("programme/sessions/new/", views.session_create, name="session-create"),
    path("programme/sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("programme/sponsorships/", views.sponsorship_list, name="sponsorship-list"),
    path("programme/officers/", views.officer_list, name="officer-list"),
    path("programme/reports/", views.reports, name="reports"),
    path("programme/reports/<slug:name>.csv", views.report_csv_download, name="report-csv"),
    path("programme/certificates/<int:pk>/download/", views.certificate_download, name="certificate-download"),
    path("certificates/verify/", views.certificate_verify, name="certificate-check"),
    path("certificates/verify/<str:code>/", views.certificate_verify, name="certificate-verify"),
]
