"""UI routes of partnerships."""

from django.urls import path

from accord.partners import views

app_name = "partners"

urlpatterns = [
    path("partner/apply/", views.apply, name="apply"),
    path("partners/", views.directory, name="directory"),
    path("invite/<uidb64>/<token>/", views.InvitationView.as_view(), name="invitation"),
    path("applications/", views.application_list, name="application-list"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    path("agreements/", views.agreement_list, name="agreement-list"),
    path("agreements/new/", views.agreement_create, name="agreement-create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:pk>/document/", views.agreement_document, name="agreement-document"),
    path("partnerships/<int:pk>/", views.partnership_action, name="partnership-action"),
]
