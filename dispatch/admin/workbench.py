"""The 工作台's links between pages: a queue's changelist, its requests, and 下一件.

A request opened from a queue (the 工作台 or the changelist filtered by
`?queue=`) carries Django admin's `_changelist_filters`; the change page reads
the queue from it, keeps it on every action's form, and offers the queue's next
most urgent request after the action.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse

from requests_app.models import FINISHED_STATES, State

from .. import access, queues
from ..queues import QUEUES

PRESERVED = "_changelist_filters"


def queue_of(request: HttpRequest) -> str | None:
    """The queue a change page was opened from, if any."""
    filters = dict(parse_qsl(request.GET.get(PRESERVED, "")))
    key = filters.get("queue") or request.GET.get("queue")
    return key if key in QUEUES else None


def with_queue(url: str, key: str | None) -> str:
    """`url` carrying the queue, the way Django admin preserves a changelist's filters."""
    return f"{url}?{urlencode({PRESERVED: urlencode({'queue': key})})}" if key else url


def change_url(pk: int, key: str | None) -> str:
    return with_queue(reverse("admin:requests_app_helprequest_change", args=[pk]), key)


def queue_context(request: HttpRequest, obj) -> dict:
    """The change page's queue: its name, the link back to it, and the next request in it."""
    key = queue_of(request)
    if key is None:
        return {}
    following = queues.queue_next(key=key, scope=access.scope_of(request.user), after=obj)
    changelist = reverse("admin:requests_app_helprequest_changelist")
    return {
        "queue": QUEUES[key],
        "queue_url": f"{changelist}?{urlencode({'queue': key})}",
        "next_in_queue": change_url(following.pk, key) if following is not None else None,
    }


def next_url(request: HttpRequest, obj) -> str | None:
    """The change page of the queue's next request (确认并打开下一件), if the page came from a queue."""
    key = queue_of(request)
    if key is None:
        return None
    following = queues.queue_next(key=key, scope=access.scope_of(request.user), after=obj)
    return change_url(following.pk, key) if following is not None else None


BY_TIME_LEFT = [F("next_due_at").asc(nulls_last=True), "created_at", "id"]


def queue_ordering(request: HttpRequest) -> list | None:
    """Open work opens by time left, most urgent first: a queue (but 不满意, newest first) or a
    state still being worked. A clicked column (`o`) wins."""
    if request.GET.get("o"):
        return None
    key = request.GET.get("queue")
    if key in QUEUES:
        return BY_TIME_LEFT if QUEUES[key].by_due else ["-updated_at", "-id"]
    state = request.GET.get("state__exact")
    if state and state not in FINISHED_STATES and state != State.RESOLVED:
        return BY_TIME_LEFT
    return None
