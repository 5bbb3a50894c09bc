"""The client's address, read where the deployment says it is (RATELIMIT_IP_META_KEY).

Shared by the public rate limits (django-ratelimit reads the same setting) and
the staff login throttle (django-axes calls this).
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    value = request.META.get(settings.RATELIMIT_IP_META_KEY) or request.META.get("REMOTE_ADDR", "")
    # X-Forwarded-For style lists: the right-most hop is the one our proxy added.
    return value.split(",")[-1].strip()
