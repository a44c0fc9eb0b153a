"""UI routes of governance."""

from django.urls import path

from accord.governance import views

app_name = "governance"

urlpatterns = [
    path("governance/", views.group_list, name="group-list"),
    path("governance/groups/<slug:slug>/", views.group_detail, name="group-detail"),
    path("governance/meetings/", views.meeting_list, name="meeting-list"),
    path("governance/meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("governance/recommendations/", views.recommendation_list, name="recommendation-list"),
    path(
        "governance/recommendations/<int:pk>/transition/",
        views.recommendation_transition,
        name="recommendation-transition",
    ),
    path("governance/practices/", views.practice_list, name="practice-list"),
    path("governance/conference/", views.edition_list, name="edition-list"),
    path("governance/conference/<int:year>/", views.edition_detail, name="edition-detail"),
]
