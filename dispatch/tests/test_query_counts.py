"""Every staff page runs a fixed number of queries, whatever the number of rows (no N+1), as each role.

The pages are those bench/admin_million.py times at millions of requests;
the limits are what they run here with a page of rows of every state, so a
query per row (or per filter choice) fails the test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from dispatch.deadlines import deadlines_sweep
from requests_app.models import State

BASE = "/admin/requests_app/helprequest/"
SORTS = (1, 3, 5, 7, 8, 9, 10)
FILTERS = (
    "state__exact=accepted",
    "unit={unit}",
    "category__id__exact=1",
    "request_type__exact=complaint",
    "is_urgent__exact=1",
    "tag=nan",
    "district__id__exact=1",
    "late=1",
)


@pytest.fixture
def rows(staff, make_request):
    made = [make_request(state) for state in (State.SUBMITTED, State.ACCEPTED, State.RESOLVED, State.CLOSED)]
    made += [make_request(State.HANDED_OVER) for _ in range(4)]
    return made


def _pages(staff, req, role: str) -> list[tuple[str, int]]:
    # A handler's scope and the unit filter first read the unit's assisted requests (one
    # index-only query, dispatch.access.requests_of_units_q), once per page.
    h = 1 if role == "handler_a" else 0
    pages = [(BASE, 10 + h), (BASE + "?p=1", 10 + h)]
    pages += [(BASE + f"?o={c}", 10 + h) for c in SORTS] + [(BASE + f"?o=-{c}", 10 + h) for c in SORTS]
    pages += [(BASE + "?" + f.format(unit=staff.unit_a.pk), 10 + h + f.startswith("unit=")) for f in FILTERS]
    pages += [(BASE + f"?q={req.ticket_number}", 10 + h), (BASE + f"?q={req.phone}", 10 + h)]
    pages += [(BASE + f"{req.pk}/change/", 25 + h)]
    pages += [("/admin/dispatch/laterequest/", 9), ("/admin/dispatch/notification/", 8)]
    # The dashboard also shows intake by source (from the rollups: freshness, cells, live rest) and
    # 直办 per channel (kb) and the open surges: fixed extra queries.
    pages += [(BASE + f"dashboard/?days={d}", 18 + h) for d in (7, 30, 365)]
    return pages


@pytest.mark.parametrize("role", ["dispatcher", "supervisor", "handler_a"])
def test_every_staff_page_runs_a_bounded_number_of_queries(client, staff, rows, role, django_assert_max_num_queries):
    deadlines_sweep(now=rows[0].created_at + dt.timedelta(hours=30))  # fills the 督办 queue and the outbox
    req = rows[1]
    client.force_login(getattr(staff, role))
    for url, limit in _pages(staff, req, role):
        with django_assert_max_num_queries(limit):
            response = client.get(url)
        assert response.status_code in (200, 403), url


def test_stats_runs_a_bounded_number_of_queries_cold_and_none_warm(client, rows, django_assert_max_num_queries):
    for days in (7, 30, 365):
        cache.clear()
        # 12 + 2: intake by source from the rollups (freshness, cells; rollups.sources_read).
        with django_assert_max_num_queries(14):
            assert client.get(reverse("dispatch_public:stats"), {"days": days}).status_code == 200
        with django_assert_max_num_queries(1):
            client.get(reverse("dispatch_public:stats"), {"days": days})
