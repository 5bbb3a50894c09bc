"""One rule for who sees what: every kind of staff user before every scoped page, and they all agree.

Each page is read the way its user reads it (a list's rows, a page's status,
an export's lines, an autocomplete's results, a photo's download). For every
kind of user the set of requests each page reveals must be the same, and the
one `dispatch.access` decides. Every user holds the view permissions of
every page here, so the pages differ only by scope: a page that answers 403
would hide a disagreement instead of showing one.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from dispatch import access, roles, selectors
from dispatch.models import Assignment, ContactAccess, ExtensionRequest, Notification, Unit, UnitMembership
from dispatch.tests import factories
from dispatch.workflow import request_lead_unit_refresh
from requests_app.clock import request_clock_refresh
from requests_app.models import Attachment, HelpRequest
from requests_app.tests.factories import HelpRequestFactory

pytestmark = pytest.mark.django_db

# Every scoped page's view permission, granted to every test user.
VIEW_PERMISSIONS = [
    ("requests_app", "view_helprequest"),
    ("dispatch", "view_laterequest"),
    ("dispatch", "view_notification"),
    ("dispatch", "view_assignment"),
    ("dispatch", "view_extensionrequest"),
    ("dispatch", "view_contactaccess"),
]

KINDS = (
    "dispatcher",
    "supervisor",
    "lead_handler",
    "assisting_handler",
    "other_handler",
    "deactivated_unit_handler",
    "direct_dispatcher",
    "staff_without_role",
)
# Which of the four requests (A: lead A + assisting B, C: lead C, D: lead D whose unit is
# deactivated, N: not handed over yet) each kind of user may see.
EXPECTED = {
    "dispatcher": {"A", "C", "D", "N"},
    "supervisor": {"A", "C", "D", "N"},
    "lead_handler": {"A"},
    "assisting_handler": {"A"},
    "other_handler": {"C"},
    "deactivated_unit_handler": set(),
    "direct_dispatcher": {"A", "C", "D", "N"},
    "staff_without_role": set(),
}
ALL = {"A", "C", "D", "N"}
ON_PAGE = {"assignments": {"A", "C", "D"}}
# Whose full name and phone each kind may read (those who must call the citizen).
CONTACT = {
    "dispatcher": {"A", "C", "D", "N"},
    "supervisor": {"A", "C", "D", "N"},
    "lead_handler": {"A"},
    "assisting_handler": set(),
    "other_handler": {"C"},
    "deactivated_unit_handler": set(),
    "direct_dispatcher": {"A", "C", "D", "N"},
    "staff_without_role": set(),
}


@pytest.fixture
def world(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    unit_a, unit_b, unit_c = (factories.unit(n) for n in ("金水区人民政府", "郑州市卫生健康委员会", "郑州市教育局"))
    unit_d = factories.unit("二七区人民政府")
    requests = {key: HelpRequestFactory(phone=f"1380000000{i}", name=f"市民{key}") for i, key in enumerate("ACDN")}
    for key, lead, assist in (("A", unit_a, unit_b), ("C", unit_c, None), ("D", unit_d, None)):
        Assignment.objects.create(request=requests[key], unit=lead, role=Assignment.Role.LEAD)
        if assist:
            Assignment.objects.create(request=requests[key], unit=assist, role=Assignment.Role.ASSIST)
    request_lead_unit_refresh(request_ids=[r.pk for r in requests.values()])
    users = {
        "dispatcher": factories.dispatcher(username="dispatcher"),
        "supervisor": factories.supervisor(username="supervisor"),
        "lead_handler": factories.handler(unit_a, username="lead_handler"),
        "assisting_handler": factories.handler(unit_b, username="assisting_handler"),
        "other_handler": factories.handler(unit_c, username="other_handler"),
        "deactivated_unit_handler": factories.handler(unit_d, username="deactivated_unit_handler"),
        "staff_without_role": factories.StaffUserFactory(username="staff_without_role"),
    }
    direct = factories.StaffUserFactory(username="direct_dispatcher")
    direct.user_permissions.add(*roles.roles_ensure()[roles.DISPATCHER].permissions.all())
    users["direct_dispatcher"] = direct
    view = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in VIEW_PERMISSIONS]
    for user in users.values():
        user.user_permissions.add(*view)
    Unit.objects.filter(pk=unit_d.pk).update(is_active=False)
    now = timezone.now()
    for key, req in requests.items():
        # Every request is late (the 督办 queue lists it) and has a row in every record list.
        req.deadlines.filter(kind="contact").update(due_at=now - timezone.timedelta(hours=2), breached_at=now)
        request_clock_refresh(request_ids=[req.pk])  # the rows were written past the services
        Notification.objects.create(channel="email", recipient="duty@zz.gov.cn", body=key, kind="breach", request=req)
        ExtensionRequest.objects.create(
            request=req, unit=unit_a, hours=2, reason="协调", requested_by=users["dispatcher"]
        )
        ContactAccess.objects.create(user=users["supervisor"], request=req)
        attachment = Attachment(request=req, width=1, height=1, size=3)
        attachment.file.save(f"{key}.jpg", ContentFile(b"jpg"), save=False)
        attachment.save()
    # A staff-only notice belongs to no request: only those who see everything see it.
    Notification.objects.create(channel="email", recipient="duty@zz.gov.cn", body="-", kind="breach")
    number_to_key = {req.ticket_number: key for key, req in requests.items()}
    return requests, users, number_to_key


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _changelist(client, url, keys_of_rows):
    response = client.get(url)
    assert response.status_code == 200, url
    return keys_of_rows(response.context["cl"].result_list)


def _pages(client: Client, requests: dict, number_to_key: dict) -> dict[str, set[str]]:
    """What each scoped page reveals to the client's user: the keys of the requests it shows."""
    by_pk = {req.pk: key for key, req in requests.items()}
    seen: dict[str, set[str]] = {}
    seen["changelist"] = _changelist(
        client, "/admin/requests_app/helprequest/", lambda rows: {by_pk[r.pk] for r in rows}
    )
    seen["change page"] = {
        key
        for key, req in requests.items()
        if client.get(f"/admin/requests_app/helprequest/{req.pk}/change/").status_code == 200
    }
    seen["late queue"] = _changelist(client, "/admin/dispatch/laterequest/", lambda rows: {by_pk[r.pk] for r in rows})
    seen["late queue page"] = {
        key
        for key, req in requests.items()
        if client.get(f"/admin/dispatch/laterequest/{req.pk}/change/").status_code == 200
    }
    seen["outbox"] = _changelist(
        client, "/admin/dispatch/notification/", lambda rows: {by_pk[r.request_id] for r in rows if r.request_id}
    )
    for name, url in (
        ("assignments", "/admin/dispatch/assignment/"),
        ("extensions", "/admin/dispatch/extensionrequest/"),
        ("contact audit", "/admin/dispatch/contactaccess/"),
    ):
        seen[name] = _changelist(client, url, lambda rows: {by_pk[r.request_id] for r in rows})
    export = client.get("/admin/requests_app/helprequest/export/csv/")
    if export.status_code == 200:
        lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
        seen["export"] = {number_to_key[row[0]] for row in lines[1:]}
    else:
        assert export.status_code == 403
        seen["export"] = set()
    dashboard = client.get("/admin/requests_app/helprequest/dashboard/")
    if dashboard.status_code == 200:
        seen["dashboard late list"] = {number_to_key[r.ticket_number] for r in dashboard.context["late"]}
    else:
        assert dashboard.status_code == 403
        seen["dashboard late list"] = set()
    autocomplete = client.get(
        "/admin/autocomplete/",
        {"app_label": "dispatch", "model_name": "assignment", "field_name": "request", "term": ""},
    )
    if autocomplete.status_code == 200:
        seen["autocomplete"] = {by_pk[int(item["id"])] for item in autocomplete.json()["results"]}
    else:
        assert autocomplete.status_code == 403
        seen["autocomplete"] = set()
    seen["photos"] = {
        key
        for key, req in requests.items()
        if client.get(f"/staff/attachments/{req.attachments.get().pk}/").status_code == 200
    }
    return seen


@pytest.mark.parametrize("kind", KINDS)
def test_every_scoped_page_agrees_on_what_each_user_may_see(world, kind):
    requests, users, number_to_key = world
    user = users[kind]
    seen = _pages(_client(user), requests, number_to_key)
    module = {key for key, req in requests.items() if access.requests_visible_to(user=user).filter(pk=req.pk).exists()}
    assert module == EXPECTED[kind]
    # Request N has not been handed over: no assignment row lists it.
    disagreeing = {page: keys for page, keys in seen.items() if keys != EXPECTED[kind] & ON_PAGE.get(page, ALL)}
    assert disagreeing == {}, f"{kind} should see {sorted(EXPECTED[kind])} everywhere"


@pytest.mark.parametrize("kind", KINDS)
def test_the_workflow_lets_a_user_act_only_on_what_they_may_see(world, kind):
    requests, users, _ = world
    user = get_user_model().objects.get(pk=users[kind].pk)
    acting = {key for key, req in requests.items() if selectors.request_actions_for(help_request=req, user=user)}
    assert acting <= EXPECTED[kind]
    if kind in ("dispatcher", "direct_dispatcher", "lead_handler"):
        assert acting, f"{kind} has work to do"


@pytest.mark.parametrize("kind", KINDS)
def test_full_contact_details_follow_one_rule_on_the_page_and_in_the_export(world, kind):
    requests, users, number_to_key = world
    client = _client(users[kind])
    on_page = set()
    for key, req in requests.items():
        response = client.get(f"/admin/requests_app/helprequest/{req.pk}/change/")
        if response.status_code == 200:
            assert req.ticket_number in response.content.decode()
            if req.phone in response.content.decode():
                on_page.add(key)
    in_export = set()
    export = client.get("/admin/requests_app/helprequest/export/csv/")
    if export.status_code == 200:
        lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
        phone_column = lines[0].index("联系电话")
        in_export = {
            number_to_key[row[0]] for row in lines[1:] if row[phone_column] == requests[number_to_key[row[0]]].phone
        }
    assert on_page == CONTACT[kind] & EXPECTED[kind]
    assert in_export == CONTACT[kind] & EXPECTED[kind]
    shown_by_rule = {
        key for key, req in requests.items() if access.contact_visible_to(user=users[kind], help_request=req)
    }
    assert shown_by_rule & EXPECTED[kind] == on_page


def test_a_scope_is_computed_once_per_user_object(world, django_assert_num_queries):
    _, users, _ = world
    user = get_user_model().objects.get(pk=users["lead_handler"].pk)
    unit_id = UnitMembership.objects.get(user=user).unit_id
    access.scope_of(user)
    with django_assert_num_queries(0):
        assert access.scope_of(user).unit_ids == {unit_id}


def test_inactive_users_and_principals_see_nothing(world):
    _, users, _ = world
    user = users["dispatcher"]
    user.is_active = False
    access.scope_forget(user)
    assert not access.requests_visible_to(user=user).exists()
    assert not access.requests_visible_to(user=access.CITIZEN).exists()
    assert HelpRequest.objects.exists()


@pytest.mark.parametrize("inline_max", [access.ASSISTED_INLINE_MAX, 0])
def test_a_handler_sees_the_requests_their_unit_leads_or_assists_listed_or_as_a_subquery(
    world, inline_max, monkeypatch
):
    # The assisted side is a list of ids up to ASSISTED_INLINE_MAX, a subquery past it: the same rows.
    monkeypatch.setattr(access, "ASSISTED_INLINE_MAX", inline_max)
    requests, users, _ = world
    by_pk = {req.pk: key for key, req in requests.items()}
    for kind, expected in (("lead_handler", {"A"}), ("assisting_handler", {"A"}), ("other_handler", {"C"})):
        user = get_user_model().objects.get(username=kind)  # a fresh user object: a fresh scope
        seen = {by_pk[pk] for pk in access.requests_visible_to(user=user).values_list("pk", flat=True)}
        assert seen == expected, kind
    unit_b = UnitMembership.objects.get(user__username="assisting_handler").unit
    unit_filtered = selectors.requests_of_unit(queryset=HelpRequest.objects.all(), unit_id=unit_b.pk)
    assert {by_pk[pk] for pk in unit_filtered.values_list("pk", flat=True)} == {"A"}
