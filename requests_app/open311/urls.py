"""Open311 GeoReport v2 routes, included at /open311/v2/. Every resource takes a .json or .xml suffix."""

from django.urls import path, re_path

from . import views

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    path("openapi.json", views.openapi, name="openapi"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests_endpoint, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+?)" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, views.token_detail, name="token"),
    # Anything else under /open311/v2/ answers in the API's own error format, not an HTML page.
    re_path(r"^.*$", views.not_found, name="not_found"),
]
