"""UI routes of the analysis app."""

app_name = "analysis"

urlpatterns: list = []
