"""UI routes of feeds."""

from django.urls import path

from accord.feeds import views

app_name = "feeds"

urlpatterns = [
    path("feeds/", views.feed_list, name="feed-list"),
    path("feeds/<int:pk>/<slug:action>/", views.feed_action, name="feed-action"),
]
