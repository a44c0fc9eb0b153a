"""UI routes of the TAXII app: where to connect, per collection."""

from django.urls import path

from accord.taxii import views

app_name = "taxii-ui"

urlpatterns = [
    path("taxii/", views.collection_list, name="collection-list"),
    path("taxii/<str:collection_id>/", views.collection_detail, name="collection-detail"),
]
