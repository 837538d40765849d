"""Staff pages for cases (intake, queue, list, case page), under /staff/."""

from django.urls import path  # noqa: F401 - the pages add their routes here

app_name = "petitions"
urlpatterns: list = []
