"""Project-wide views: the CSRF failure page in the citizen's language."""

from django.http import HttpRequest, HttpResponseForbidden
from django.template import loader


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseForbidden:
    return HttpResponseForbidden(loader.render_to_string("403_csrf.html", request=request))
