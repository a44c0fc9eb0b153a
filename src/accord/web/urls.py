"""UI routes."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accord.web import views
from accord.web.forms import SignInForm

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/counts/", views.dashboard_counts, name="dashboard-counts"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation-detail"),
    path("people/", views.person_list, name="person-list"),
    path("tokens/", views.token_list, name="token-list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("audit/", views.audit_list, name="audit-list"),
]
