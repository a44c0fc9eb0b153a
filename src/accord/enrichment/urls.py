"""UI routes of enrichment (the paths it had as part of the analysis app)."""

from django.urls import path

from accord.enrichment import views

app_name = "enrichment"

urlpatterns = [
    path("observables/", views.observable_list, name="observable-list"),
    path(
        "observables/<public_id:pk>/enrichments/",
        views.observable_enrichments,
        name="observable-enrichments",
    ),
    path("enrichers/", views.enricher_list, name="enricher-list"),
    path("enrichers/<int:pk>/<str:action>/", views.enricher_action, name="enricher-action"),
]
