"""Permission audit: every admin URL × every role → the expected status code.

The table below is the audit: a new admin view (a new model, a custom URL)
fails this test until someone decides, here, who may open it. Handlers of
another unit must get 404 for a request that is not theirs on every URL that
names it.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, reverse
from django.utils import timezone

from dispatch.models import (
    ContactAccess,
    ExtensionRequest,
    Notification,
    ReportExport,
    ResponsibilityRule,
    RoutingRecord,
    Surge,
    SurgeMember,
)
from requests_app.clock import request_clock_refresh
from requests_app.models import ApiClient, Category, District, HelpRequest, Publication, State, WebhookDelivery

pytestmark = pytest.mark.django_db

ROLES = ("anon", "nobody", "disp", "hand_own", "hand_other", "sup")


def _walk(patterns):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns)
        elif p.name:
            yield p.name


def _objects(staff, make_request):
    req = make_request(State.ACCEPTED)  # lead: unit A (hand_own's), assisting: unit B
    from dispatch.workflow import transition_apply

    transition_apply(request_id=req.pk, action="request_extension", actor=staff.handler_a, hours=2, reason="需要协调")
    ContactAccess.objects.create(user=staff.dispatcher, request=req)
    Notification.objects.create(channel="email", recipient="a@zz.gov.cn", body="x", kind="breach", request=req)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=staff.supervisor, name="手机", confirmed=True)
    api_client = ApiClient.objects.create(name="正观新闻", key_prefix="abcd1234", key_hash="0" * 64)
    delivery = WebhookDelivery.objects.create(
        client=api_client, request=req, event=req.events.first(), url="http://127.0.0.1:9/hook", payload={}
    )
    # Late: the contact deadline is breached and not met, so the 督办 queue lists it.
    req.deadlines.filter(kind="contact").update(met_at=None, breached_at=timezone.now())
    request_clock_refresh(request_ids=[req.pk])  # the rows were written past the services
    attempt = AccessAttempt.objects.create(
        username="x", ip_address="127.0.0.1", failures_since_start=1, attempt_time=timezone.now()
    )
    log = AccessLog.objects.create(username="x", ip_address="127.0.0.1", attempt_time=timezone.now())
    failure = AccessFailureLog.objects.create(username="x", ip_address="127.0.0.1", attempt_time=timezone.now())
    rule = ResponsibilityRule.objects.create(category=Category.objects.order_by("pk").first(), lead_unit=staff.unit_a)
    record = RoutingRecord.objects.create(request=req, source="rule", rule=rule, chosen_unit=staff.unit_a)
    # The 问政 approval queue lists consented requests.
    type(req).objects.filter(pk=req.pk).update(publish_consent=True, publish_consent_at=timezone.now())
    now = timezone.now()
    surge = Surge.objects.create(
        district=req.district, category=req.category_claimed, first_at=now, last_at=now, window_seconds=1800,
        observed=6, baseline=0.5, baseline_weeks=4, tail_probability=1e-5, threshold=1e-4,
    )  # fmt: skip
    SurgeMember.objects.create(surge=surge, request=req)
    # A text on the board, for 撤下.
    published = make_request(State.ACCEPTED, publish_consent=True)
    Publication.objects.create(
        request=published,
        district_id=published.district_id,
        title="路灯不亮",
        content="路灯不亮一周。",
        approved_at=now,
    )
    return {
        "pendingpublication": req.pk,
        "publishedtext": published.pk,
        "reportexport": ReportExport.objects.create(user=staff.supervisor, report="monthly").pk,
        "surge": surge.pk,
        "responsibilityrule": rule.pk,
        "routingrecord": record.pk,
        "helprequest": req.pk,
        "laterequest": req.pk,
        "extensionrequest": ExtensionRequest.objects.get().pk,
        "contactaccess": ContactAccess.objects.get().pk,
        "notification": Notification.objects.first().pk,
        "apiclient": api_client.pk,
        "unit": staff.unit_a.pk,
        "assignment": req.assignments.first().pk,
        "category": Category.objects.order_by("pk").first().pk,
        "district": District.objects.order_by("pk").first().pk,
        "user": staff.dispatcher.pk,
        "group": Group.objects.order_by("pk").first().pk,
        "totpdevice": device.pk,
        "webhookdelivery": delivery.pk,
        "accessattempt": attempt.pk,
        "accesslog": log.pk,
        "accessfailurelog": failure.pk,
    }


def _url(name: str, objects: dict) -> str | None:
    if name in {"index", "login", "logout", "password_change", "password_change_done", "jsi18n", "autocomplete"}:
        return reverse(f"admin:{name}")
    if name == "app_list":
        return reverse("admin:app_list", kwargs={"app_label": "requests_app"})
    if name == "view_on_site":
        return None  # a redirect helper for objects with get_absolute_url; none of ours has one
    if name == "auth_user_password_change":
        return reverse(f"admin:{name}", args=[objects["user"]])
    if name.endswith("_export"):
        return reverse(f"admin:{name}", args=["csv"])
    try:
        return reverse(f"admin:{name}")  # a page without parameters (lists, dashboards, exports)
    except NoReverseMatch:
        pass
    app_model, kind = name.rsplit("_", 1)
    model = app_model.rsplit("_", 1)[-1]  # app labels may contain "_" (requests_app, otp_totp); models do not
    if kind in {"changelist", "add"}:
        return reverse(f"admin:{name}")
    pk = objects.get(model, 999999)
    if name == "requests_app_helprequest_action":
        return reverse(f"admin:{name}", args=[pk, "accept"])
    if name == "requests_app_helprequest_suggest":  # 列单并交单's suggestion for another category
        category_id = HelpRequest.objects.values_list("category_id", flat=True).get(pk=pk)
        return reverse(f"admin:{name}", args=[pk]) + f"?category={category_id}"
    if kind in {"config", "qrcode"}:
        return reverse(f"admin:{name}", args=[pk])
    return reverse(f"admin:{name}", args=[pk])


def _actual(staff, make_request) -> dict[str, dict[str, int]]:
    objects = _objects(staff, make_request)
    users = {
        "anon": None,
        "nobody": staff.nobody,
        "disp": staff.dispatcher,
        "hand_own": staff.handler_a,
        "hand_other": staff.handler_c,
        "sup": staff.supervisor,
    }
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        if user is not None:
            clients[role].force_login(user)
    result: dict[str, dict[str, int]] = {}
    for name in sorted(set(_walk(admin.site.get_urls()))):
        url = _url(name, objects)
        if url is None:
            continue
        result[name] = {role: client.get(url).status_code for role, client in clients.items()}
    return result


# Columns: anonymous, staff without a role, dispatcher, handler of the request's lead unit,
# handler of an unrelated unit, supervisor. 302 for anonymous is the login redirect; 404
# means "not in your scope" (the request's existence is not confirmed); 405 is a GET on a
# POST-only action. A change or history page of an object the table has no row for (999999) is
# Django's redirect to the index, before or after the permission check. Superusers (not listed) manage channels, districts, users, API keys.
EXPECTED: dict[str, tuple[int, int, int, int, int, int]] = {
    "app_list": (302, 404, 200, 200, 200, 200),
    "auth_group_add": (302, 403, 403, 403, 403, 403),
    "auth_group_change": (302, 403, 403, 403, 403, 403),
    "auth_group_changelist": (302, 403, 403, 403, 403, 403),
    "auth_group_delete": (302, 403, 403, 403, 403, 403),
    "auth_group_history": (302, 403, 403, 403, 403, 403),
    "auth_user_add": (302, 403, 403, 403, 403, 403),
    "auth_user_change": (302, 403, 403, 403, 403, 403),
    "auth_user_changelist": (302, 403, 403, 403, 403, 403),
    "auth_user_delete": (302, 403, 403, 403, 403, 403),
    "auth_user_history": (302, 403, 403, 403, 403, 403),
    "auth_user_password_change": (302, 403, 403, 403, 403, 403),
    "autocomplete": (302, 403, 403, 403, 403, 403),
    "axes_accessattempt_add": (302, 403, 403, 403, 403, 403),
    "axes_accessattempt_change": (302, 403, 403, 403, 403, 403),
    "axes_accessattempt_changelist": (302, 403, 403, 403, 403, 403),
    "axes_accessattempt_delete": (302, 403, 403, 403, 403, 403),
    "axes_accessattempt_history": (302, 403, 403, 403, 403, 403),
    "axes_accessfailurelog_add": (302, 403, 403, 403, 403, 403),
    "axes_accessfailurelog_change": (302, 403, 403, 403, 403, 403),
    "axes_accessfailurelog_changelist": (302, 403, 403, 403, 403, 403),
    "axes_accessfailurelog_delete": (302, 403, 403, 403, 403, 403),
    "axes_accessfailurelog_history": (302, 403, 403, 403, 403, 403),
    "axes_accesslog_add": (302, 403, 403, 403, 403, 403),
    "axes_accesslog_change": (302, 403, 403, 403, 403, 403),
    "axes_accesslog_changelist": (302, 403, 403, 403, 403, 403),
    "axes_accesslog_delete": (302, 403, 403, 403, 403, 403),
    "axes_accesslog_history": (302, 403, 403, 403, 403, 403),
    # 批准公开: dispatchers and supervisors, who see every request anyway.
    "board_pendingpublication_add": (302, 403, 403, 403, 403, 403),
    "board_pendingpublication_change": (302, 403, 200, 403, 403, 200),
    "board_pendingpublication_changelist": (302, 403, 200, 403, 403, 200),
    "board_pendingpublication_delete": (302, 403, 403, 403, 403, 403),
    "board_pendingpublication_history": (302, 403, 200, 403, 403, 200),
    # 撤下 of a published text: the same people.
    "board_publishedtext_add": (302, 403, 403, 403, 403, 403),
    "board_publishedtext_change": (302, 403, 200, 403, 403, 200),
    "board_publishedtext_changelist": (302, 403, 200, 403, 403, 200),
    "board_publishedtext_delete": (302, 403, 403, 403, 403, 403),
    "board_publishedtext_history": (302, 403, 200, 403, 403, 200),
    "dispatch_assignment_add": (302, 403, 403, 403, 403, 403),
    "dispatch_assignment_change": (302, 403, 200, 403, 403, 200),
    "dispatch_assignment_changelist": (302, 403, 200, 403, 403, 200),
    "dispatch_assignment_delete": (302, 403, 403, 403, 403, 403),
    "dispatch_assignment_history": (302, 403, 200, 403, 403, 200),
    "dispatch_contactaccess_add": (302, 403, 403, 403, 403, 403),
    "dispatch_contactaccess_change": (302, 403, 403, 403, 403, 200),
    "dispatch_contactaccess_changelist": (302, 403, 403, 403, 403, 200),
    "dispatch_contactaccess_delete": (302, 403, 403, 403, 403, 403),
    "dispatch_contactaccess_history": (302, 403, 403, 403, 403, 200),
    "dispatch_dashboard": (302, 403, 200, 200, 200, 200),
    "dispatch_dashboard_export": (302, 403, 200, 200, 200, 200),
    # 每月一题: like the dashboard (a handler's report holds their units' requests only).
    "dispatch_monthly": (302, 403, 200, 200, 200, 200),
    "dispatch_monthly_export": (302, 403, 200, 200, 200, 200),
    # Who downloaded a report: the supervisors' audit, as the contact-access records.
    "dispatch_reportexport_add": (302, 403, 403, 403, 403, 403),
    "dispatch_reportexport_change": (302, 403, 403, 403, 403, 200),
    "dispatch_reportexport_changelist": (302, 403, 403, 403, 403, 200),
    "dispatch_reportexport_delete": (302, 403, 403, 403, 403, 403),
    "dispatch_reportexport_history": (302, 403, 403, 403, 403, 200),
    "dispatch_surge_add": (302, 403, 403, 403, 403, 403),
    "dispatch_surge_change": (302, 403, 200, 403, 403, 200),
    "dispatch_surge_changelist": (302, 403, 200, 403, 403, 200),
    "dispatch_surge_delete": (302, 403, 403, 403, 403, 403),
    "dispatch_surge_dismiss": (302, 405, 405, 405, 405, 405),
    "dispatch_surge_history": (302, 403, 200, 403, 403, 200),
    "dispatch_surge_merge": (302, 405, 405, 405, 405, 405),
    "dispatch_extensionrequest_add": (302, 403, 403, 403, 403, 403),
    "dispatch_extensionrequest_change": (302, 403, 403, 403, 403, 200),
    "dispatch_extensionrequest_changelist": (302, 403, 403, 403, 403, 200),
    "dispatch_extensionrequest_delete": (302, 403, 403, 403, 403, 403),
    "dispatch_extensionrequest_history": (302, 403, 403, 403, 403, 200),
    "dispatch_laterequest_add": (302, 403, 403, 403, 403, 403),
    "dispatch_laterequest_change": (302, 403, 200, 403, 403, 200),
    "dispatch_laterequest_changelist": (302, 403, 200, 403, 403, 200),
    "dispatch_laterequest_delete": (302, 403, 403, 403, 403, 403),
    "dispatch_laterequest_history": (302, 403, 200, 403, 403, 200),
    "dispatch_notification_add": (302, 403, 403, 403, 403, 403),
    "dispatch_notification_change": (302, 403, 200, 403, 403, 200),
    "dispatch_notification_changelist": (302, 403, 200, 403, 403, 200),
    "dispatch_notification_delete": (302, 403, 403, 403, 403, 403),
    "dispatch_notification_history": (302, 403, 200, 403, 403, 200),
    # The 权责清单: kept by the dispatchers, read by the supervisors.
    "dispatch_responsibilityrule_add": (302, 403, 200, 403, 403, 403),
    "dispatch_responsibilityrule_change": (302, 403, 200, 403, 403, 200),
    "dispatch_responsibilityrule_changelist": (302, 403, 200, 403, 403, 200),
    "dispatch_responsibilityrule_delete": (302, 403, 200, 403, 403, 403),
    "dispatch_responsibilityrule_history": (302, 403, 200, 403, 403, 200),
    "dispatch_routingrecord_add": (302, 403, 403, 403, 403, 403),
    "dispatch_routingrecord_change": (302, 403, 200, 403, 403, 200),
    "dispatch_routingrecord_changelist": (302, 403, 200, 403, 403, 200),
    "dispatch_routingrecord_delete": (302, 403, 403, 403, 403, 403),
    "dispatch_routingrecord_history": (302, 403, 200, 403, 403, 200),
    "dispatch_unit_add": (302, 403, 403, 403, 403, 403),
    "dispatch_unit_change": (302, 403, 200, 403, 403, 200),
    "dispatch_unit_changelist": (302, 403, 200, 403, 403, 200),
    "dispatch_unit_delete": (302, 403, 403, 403, 403, 403),
    "dispatch_unit_history": (302, 403, 200, 403, 403, 200),
    "index": (302, 200, 200, 200, 200, 200),
    "jsi18n": (302, 200, 200, 200, 200, 200),
    # The knowledge base is the 知识库编辑 group's (kb/roles.py); no dispatch role holds its permissions.
    "kb_answer_add": (302, 403, 403, 403, 403, 403),
    "kb_answer_change": (302, 403, 403, 403, 403, 403),
    "kb_answer_changelist": (302, 403, 403, 403, 403, 403),
    "kb_answer_delete": (302, 403, 403, 403, 403, 403),
    "kb_answer_history": (302, 302, 302, 302, 302, 302),
    "kb_directanswer_add": (302, 403, 403, 403, 403, 403),
    "kb_directanswer_change": (302, 403, 403, 403, 403, 403),
    "kb_directanswer_changelist": (302, 403, 403, 403, 403, 403),
    "kb_directanswer_delete": (302, 403, 403, 403, 403, 403),
    "kb_directanswer_history": (302, 302, 302, 302, 302, 302),
    "kb_redirectrule_add": (302, 403, 403, 403, 403, 403),
    "kb_redirectrule_change": (302, 403, 403, 403, 403, 403),
    "kb_redirectrule_changelist": (302, 403, 403, 403, 403, 403),
    "kb_redirectrule_delete": (302, 403, 403, 403, 403, 403),
    "kb_redirectrule_history": (302, 302, 302, 302, 302, 302),
    "login": (200, 302, 302, 302, 302, 302),
    "logout": (302, 405, 405, 405, 405, 405),
    "otp_totp_totpdevice_add": (302, 403, 403, 403, 403, 403),
    "otp_totp_totpdevice_change": (302, 403, 403, 403, 403, 403),
    "otp_totp_totpdevice_changelist": (302, 403, 403, 403, 403, 403),
    "otp_totp_totpdevice_config": (302, 403, 403, 403, 403, 403),
    "otp_totp_totpdevice_delete": (302, 403, 403, 403, 403, 403),
    "otp_totp_totpdevice_history": (302, 403, 403, 403, 403, 403),
    "otp_totp_totpdevice_qrcode": (302, 403, 403, 403, 403, 403),
    "password_change": (302, 200, 200, 200, 200, 200),
    "password_change_done": (302, 200, 200, 200, 200, 200),
    "requests_app_apiclient_add": (302, 403, 403, 403, 403, 403),
    "requests_app_apiclient_change": (302, 403, 403, 403, 403, 403),
    "requests_app_apiclient_changelist": (302, 403, 403, 403, 403, 403),
    "requests_app_apiclient_delete": (302, 403, 403, 403, 403, 403),
    "requests_app_apiclient_history": (302, 403, 403, 403, 403, 403),
    "requests_app_category_add": (302, 403, 403, 403, 403, 403),
    "requests_app_category_change": (302, 403, 403, 403, 403, 403),
    "requests_app_category_changelist": (302, 403, 403, 403, 403, 403),
    "requests_app_category_delete": (302, 403, 403, 403, 403, 403),
    "requests_app_category_history": (302, 403, 403, 403, 403, 403),
    "requests_app_district_add": (302, 403, 403, 403, 403, 403),
    "requests_app_district_change": (302, 403, 403, 403, 403, 403),
    "requests_app_district_changelist": (302, 403, 403, 403, 403, 403),
    "requests_app_district_delete": (302, 403, 403, 403, 403, 403),
    "requests_app_district_history": (302, 403, 403, 403, 403, 403),
    "requests_app_helprequest_action": (302, 404, 405, 405, 404, 405),
    # Those who may take calls (dispatchers, supervisors; operators) are sent to the intake page (代录).
    "requests_app_helprequest_add": (302, 403, 302, 403, 403, 302),
    "requests_app_helprequest_change": (302, 404, 200, 200, 404, 200),
    "requests_app_helprequest_changelist": (302, 403, 200, 200, 200, 200),
    "requests_app_helprequest_delete": (302, 404, 403, 403, 404, 403),
    "requests_app_helprequest_export": (302, 403, 200, 200, 200, 200),
    "requests_app_helprequest_history": (302, 404, 200, 200, 404, 200),
    "requests_app_helprequest_suggest": (302, 404, 200, 403, 404, 403),
    "requests_app_webhookdelivery_add": (302, 403, 403, 403, 403, 403),
    "requests_app_webhookdelivery_change": (302, 403, 403, 403, 403, 403),
    "requests_app_webhookdelivery_changelist": (302, 403, 403, 403, 403, 403),
    "requests_app_webhookdelivery_delete": (302, 403, 403, 403, 403, 403),
    "requests_app_webhookdelivery_history": (302, 403, 403, 403, 403, 403),
}


def test_every_admin_url_answers_each_role_as_the_audit_table_says(staff, make_request):
    actual = _actual(staff, make_request)
    unlisted = sorted(set(actual) - set(EXPECTED))
    assert unlisted == [], f"admin URLs nobody has audited yet: {unlisted}"
    assert sorted(set(EXPECTED) - set(actual)) == []
    wrong = {
        name: {
            role: (want, actual[name][role])
            for role, want in zip(ROLES, expected, strict=True)
            if actual[name][role] != want
        }
        for name, expected in EXPECTED.items()
    }
    assert {name: diff for name, diff in wrong.items() if diff} == {}
