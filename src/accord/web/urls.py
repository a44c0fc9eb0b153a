"""UI routes."""

from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from accord.web import second_factor, views
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
    path("login/verify/", second_factor.second_factor_verify, name="second-factor-verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/second-factor/", second_factor.second_factor, name="second-factor"),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation-detail"),
    path("people/", views.person_list, name="person-list"),
    path("people/<int:pk>/second-factor/", second_factor.person_second_factor, name="person-second-factor"),
    path("tokens/", views.token_list, name="token-list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("audit/", views.audit_list, name="audit-list"),
    # Browsers ask for /favicon.ico whatever the page says (the API's documentation, a JSON answer).
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True), name="favicon"),
]
