"""The portal's URLs plus pages that fail on purpose, so a browser can see every error page."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from helpdesk.urls import urlpatterns as portal


def _bad_request(request):
    raise SuspiciousOperation("test: a malformed request")


def _forbidden(request):
    raise PermissionDenied


def _server_error(request):
    raise RuntimeError("test: a failing view")


urlpatterns = [
    path("test-errors/400/", _bad_request),
    path("test-errors/403/", _forbidden),
    path("test-errors/500/", _server_error),
    *portal,
]
