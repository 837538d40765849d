"""The Open311 GeoReport v2 adapter, under /open311/v2/ (docs/integrations.md)."""

from django.urls import path

from integrations import open311

app_name = "open311"

urlpatterns = [
    path("services.json", open311.ServiceListView.as_view(), name="services"),
    path("services/<slug:service_code>.json", open311.ServiceDefinitionView.as_view(), name="service"),
    path("requests.json", open311.RequestListView.as_view(), name="requests"),
    path("requests/<str:service_request_id>.json", open311.RequestDetailView.as_view(), name="request"),
]
