"""UI routes of sharing."""

from django.urls import path

from accord.sharing import views

app_name = "sharing"

urlpatterns = [
    path("share/", views.submit, name="submit"),
    path("share/text/", views.freetext, name="freetext"),
    path("submissions/", views.submission_list, name="submission-list"),
    path("submissions/<public_id:pk>/", views.submission_detail, name="submission-detail"),
    path("submissions/<public_id:pk>/begin/", views.submission_begin, name="submission-begin"),
    path("shared/", views.object_list, name="object-list"),
    path("shared/<str:key>/", views.object_detail, name="object-detail"),
    path("shared/<str:key>/revoke/", views.object_revoke_confirm, name="object-revoke"),
    path("shared/<str:key>/restore/", views.object_restore_confirm, name="object-restore"),
    path("shared/<str:key>/address/", views.object_address_confirm, name="object-address"),
    path("shared/<str:key>/extend-retention/", views.object_extend_confirm, name="object-extend"),
]
