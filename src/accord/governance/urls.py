"""UI routes of governance."""

app_name = "governance"

urlpatterns: list[object] = []
