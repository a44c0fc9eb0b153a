"""TAXII 2.1 routes (under ``/taxii2/``) and the UI pages about them (under ``/taxii/``)."""

from django.urls import path

from accord.taxii import api

app_name = "taxii"

_COLLECTION = "<str:api_root>/collections/<str:collection_id>/"

urlpatterns = [
    path("", api.discovery, name="discovery"),
    path("<str:api_root>/", api.api_root, name="api-root"),
    path("<str:api_root>/status/<str:status_id>/", api.status, name="status"),
    path("<str:api_root>/collections/", api.collections, name="collections"),
    path(_COLLECTION, api.collection, name="collection"),
    path(_COLLECTION + "objects/", api.objects, name="objects"),
    path(_COLLECTION + "objects/<str:object_id>/", api.object_detail, name="object"),
    path(_COLLECTION + "objects/<str:object_id>/versions/", api.object_versions, name="versions"),
    path(_COLLECTION + "manifest/", api.manifest, name="manifest"),
    path(_COLLECTION + "withdrawn/", api.withdrawn, name="withdrawn"),
]
