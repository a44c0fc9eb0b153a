"""UI routes of the analysis app."""

from django.urls import path

from accord.analysis import enrichment_views

app_name = "analysis"

urlpatterns = [
    path("observables/", enrichment_views.observable_list, name="observable-list"),
    path("observables/<int:pk>/enrichments/", enrichment_views.observable_enrichments, name="observable-enrichments"),
    path("enrichers/", enrichment_views.enricher_list, name="enricher-list"),
    path("enrichers/<int:pk>/<str:action>/", enrichment_views.enricher_action, name="enricher-action"),
]
