"""Top-level URLs: UI, REST API (``/api/v1/``), TAXII 2.1 (``/taxii2/``), API schema and docs, Django admin;
health (``/healthz``, ``/readyz``) and metrics (``/metrics``) for operators."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accord.core.csp import API_DOCS_POLICY, with_policy
from accord.core.errors import json_error_view
from accord.core.health import healthz, readyz
from accord.core.metrics import metrics_view

urlpatterns = [
    # First: URLs are tried in order, and a TAXII client asks many times a second; behind the
    # UI's and the other apps' patterns its request tried some fifty before matching (90 µs, as
    # long as a TAXII object read spends in SQLite). No other pattern begins with taxii2/.
    path("taxii2/", include("accord.taxii.urls")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("accord.web.urls")),
    path("", include("accord.partners.urls")),
    path("", include("accord.sharing.urls")),
    path("", include("accord.taxii.ui_urls")),
    path("", include("accord.feeds.urls")),
    path("", include("accord.exports.urls")),
    path("", include("accord.analysis.urls")),
    path("", include("accord.enrichment.urls")),
    path("", include("accord.programme.urls")),
    path("", include("accord.governance.urls")),
    path("", include("accord.operations.urls")),
    path("", include("accord.notifications.urls")),
    path("", include("accord.interception.urls")),
    path("api/v1/", include("accord.core.api_urls")),
    path("api/v1/", include("accord.partners.api_urls")),
    path("api/v1/", include("accord.sharing.api_urls")),
    path("api/v1/", include("accord.exports.api_urls")),
    path("api/v1/", include("accord.analysis.api_urls")),
    path("api/v1/", include("accord.enrichment.api_urls")),
    path("api/v1/", include("accord.programme.api_urls")),
    path("api/v1/", include("accord.governance.api_urls")),
    path("api/v1/", include("accord.operations.api_urls")),
    path("api/v1/", include("accord.notifications.api_urls")),
    path("api/v1/", include("accord.interception.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, not inline (CSP).
    path(
        "api/docs/",
        with_policy(API_DOCS_POLICY)(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        with_policy(API_DOCS_POLICY)(SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html")),
        name="api-redoc",
    ),
    path("admin/", admin.site.urls),
]

handler400 = json_error_view("bad_request", "Bad request.", 400)
handler403 = json_error_view("permission_denied", "Permission denied.", 403)
handler404 = json_error_view("not_found", "Not found.", 404)
handler500 = json_error_view("server_error", "Internal server error.", 500)
