"""Open311 GeoReport v2 endpoints. Thin: parse the query or form, call one selector or service, render.

Every URL ends in `.json` or `.xml` (the spec's format suffix). Every answer
that is not a success is the spec's list of {code, description} in that
format, whatever went wrong: an unknown path or method (405 with `Allow`), a
chunked or non-form body (411/415), a refused key (403), an unknown
service_code (404), a form error (400, the web form's own message prefixed
with the Open311 parameter it concerns). HEAD answers as GET does, without
the body. Only `POST requests` needs a key; no endpoint uses cookies, so none
is subject to CSRF (clients are servers, not browsers).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import cast

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from helpdesk.db_router import replica_reads, replica_view

from .. import location
from ..forms import HelpRequestForm
from . import selectors, services
from .openapi import openapi_document
from .serialize import (
    iso,
    render,
    render_errors,
    service_definition_dict,
    service_dict,
    service_request_created_dict,
    service_request_dict,
    token_dict,
)
from .w3cdate import w3c_period

CHANGESET = dt.datetime(2026, 3, 15, tzinfo=dt.UTC)

# HelpRequestForm field -> the Open311 parameter that carries it.
FORM_TO_PARAM = {
    "category": "service_code",
    "urgency": "attribute[urgency]",
    "district": "attribute[district]",
    "name": "last_name",
    "phone": "phone",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "title": "attribute[title]",
    "content": "description",
    "consent": "attribute[consent]",
}

_LATIN = re.compile(r"^[A-Za-z .'\-]*$")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _fmt_of(request: HttpRequest) -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def api_view(*methods: str) -> Callable:
    """Answer only `methods` (GET implies HEAD); any other method gets a 405 error list with `Allow`.

    Every endpoint is exempt from CSRF: none reads a cookie, and a PUT must get
    this API's own error, not the HTML CSRF page.
    """
    allowed = sorted({*methods, "HEAD"} if "GET" in methods else set(methods))

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in allowed:
                description = f"不支持 {(request.method or '')[:16]} 请求；此地址支持：{', '.join(allowed)}。"
                response = render_errors([(405, description)], fmt=kwargs.get("fmt") or _fmt_of(request), status=405)
                response["Allow"] = ", ".join(allowed)
                return response
            response = view(request, *args, **kwargs)
            if request.method == "HEAD":
                response["Content-Length"] = str(len(response.content))
                response.content = b""
            return response

        return csrf_exempt(wrapper)

    return decorate


class Open311RequestForm(HelpRequestForm):
    """The web form, addressed by codes instead of primary keys (same rules, same messages)."""

    bot_checks = False  # the client is identified by its API key

    def __init__(self, *args, address_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.address_id = address_id
        for browser_only in ("website", "shown_at", "photos"):
            del self.fields[browser_only]
        for name in ("category", "district"):
            cast(forms.ModelChoiceField, self.fields[name]).to_field_name = "code"

    def clean(self) -> dict:
        """The spec's rule on top of the form's: a location, as lat & long or address_string or address_id."""
        cleaned = super().clean()
        located = cleaned.get("latitude") is not None or cleaned.get("address")
        refused = "latitude" in self.errors or "longitude" in self.errors or "address" in self.errors
        if not located and not refused:
            if self.address_id:
                message = "本平台没有地址目录，无法识别 address_id；请改用 lat 和 long，或 address_string。"
            else:
                message = "请提供求助地点：lat 和 long（WGS-84），或 address_string。"
            self.add_error(None, forms.ValidationError(message, code="location_required"))
        return cleaned


def _full_name(first: str, last: str) -> str:
    first, last = first.strip(), last.strip()
    if _LATIN.match(first + last):
        return " ".join(part for part in (first, last) if part)
    return last + first  # Chinese order: family name first, no space


def _form_data(post) -> dict:
    return {
        "category": post.get("service_code", ""),
        "urgency": post.get("attribute[urgency]", ""),
        "district": post.get("attribute[district]", ""),
        "name": _full_name(post.get("first_name", ""), post.get("last_name", "")),
        "phone": post.get("phone", ""),
        "address": post.get("address_string", ""),
        "latitude": post.get("lat", ""),
        "longitude": post.get("long", ""),
        "title": post.get("attribute[title]", ""),
        "content": post.get("description", ""),
        "consent": post.get("attribute[consent]", ""),
    }


@api_view("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", args=["json"])).rsplit("/", 1)[0] + "/"
    document = {
        "changeset": iso(CHANGESET),
        "contact": "郑州市一帮到底问政帮办平台",
        "key_service": "接口密钥由平台在工作台（/admin/）为每个对接系统创建。",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": iso(CHANGESET),
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(document, fmt=fmt, root_tag="discovery")


@api_view("GET")
@replica_view
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return render([service_dict(c) for c in selectors.services_list()], fmt=fmt, root_tag="services")


@api_view("GET")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = selectors.service_get(code=code)
    if category is None:
        return render_errors([(404, f"service_code 不存在：{code}")], fmt=fmt, status=404)
    definition = service_definition_dict(category, selectors.districts_list(), bbox=location.city_bbox_text())
    return render(definition, fmt=fmt, root_tag="service_definition")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _request_query(params) -> tuple[selectors.RequestQuery | None, str]:
    """Parse GET requests' filters; returns (query, "") or (None, error description)."""
    if any("\x00" in value for value in params.values()):
        return None, "参数中不能包含空字符。"
    times = {}
    for name, edge in (("start_date", 0), ("end_date", 1)):  # a period's first instant starts, its last ends
        raw = params.get(name, "")
        if raw:
            try:
                times[name] = w3c_period(raw)[edge]
            except (ValueError, OverflowError):
                return (
                    None,
                    f"{name} 不是有效的 ISO 8601 时间：{raw}（例如 2026、2026-11、2026-11-05、2026-11-05T08:30:00+08:00）",
                )
    start, end = times.get("start_date"), times.get("end_date")
    try:
        if end is None:
            end = start + selectors.MAX_SPAN if start else timezone.now()
        if start is None:
            start = end - selectors.MAX_SPAN
    except OverflowError:
        return None, "start_date 或 end_date 超出范围。"
    if start > end:
        return None, "start_date 不能晚于 end_date。"
    if end - start > selectors.MAX_SPAN:
        return None, "start_date 与 end_date 之间最多 90 天。"
    statuses = set(_split(params.get("status", "")))
    unknown = statuses - {selectors.OPEN, selectors.CLOSED}
    if unknown:
        return None, "status 只能是 open 或 closed。"
    query = selectors.RequestQuery(
        ids=_split(params.get("service_request_id", ""))[: selectors.MAX_RESULTS],
        service_codes=_split(params.get("service_code", "")),
        statuses=statuses,
        start=start,
        end=end,
    )
    return query, ""


@api_view("GET", "POST")
def requests_endpoint(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _requests_create(request, fmt)
    query, error = _request_query(request.GET)
    if query is None:
        return render_errors([(400, error)], fmt=fmt, status=400)
    with replica_reads():  # the list may lag a moment; the POST above and the lookups stay on the primary
        found = selectors.service_requests_search(query=query)
    return render([service_request_dict(s) for s in found], fmt=fmt, root_tag="service_requests")


def _body_problem(request: HttpRequest) -> tuple[int, str] | None:
    """Why the body cannot be read as the spec's form, before anything is read from it."""
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # Without a Content-Length the body would read as empty ("no api_key"): say what is wrong.
        return 411, "请求体不能分块传输（Transfer-Encoding: chunked）；请带 Content-Length 发送表单。"
    if request.content_type not in _FORM_TYPES:
        shown = request.content_type or "无"
        return 415, f"请求体须为 application/x-www-form-urlencoded 表单（收到的 Content-Type：{shown}）。"
    return None


def _requests_create(request: HttpRequest, fmt: str) -> HttpResponse:
    problem = _body_problem(request)
    if problem is not None:
        return render_errors([problem], fmt=fmt, status=problem[0])
    key = request.POST.get("api_key", "") or request.headers.get("X-Api-Key", "")
    client = selectors.api_client_for_key(key=key)
    if client is None:
        return render_errors([(403, "api_key 无效或已停用。")], fmt=fmt, status=403)
    code = request.POST.get("service_code", "")
    if code and not selectors.service_is_active(code=code):
        return render_errors([(404, f"service_code 不存在：{code}")], fmt=fmt, status=404)
    form = Open311RequestForm(_form_data(request.POST), address_id=request.POST.get("address_id", "").strip())
    if not form.is_valid():
        errors = [
            (400, f"{FORM_TO_PARAM[field]}: {message}" if field in FORM_TO_PARAM else str(message))
            for field, messages in form.errors.items()
            for message in messages
        ]
        return render_errors(errors, fmt=fmt, status=400)
    submission = services.service_request_create(client=client, data=form.cleaned_data)
    summary = selectors.service_request_get(pk=submission.request_id)
    assert summary is not None, "the request was stored by the call above"
    body = [service_request_created_dict(summary, token=str(submission.token))]
    return render(body, fmt=fmt, root_tag="service_requests", status=201)


@api_view("GET")
def request_detail(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    found = None
    if "\x00" not in service_request_id:
        found = selectors.service_request_get(service_request_id=service_request_id)
    if found is None:
        return render_errors([(404, f"service_request_id 不存在：{service_request_id}")], fmt=fmt, status=404)
    return render([service_request_dict(found)], fmt=fmt, root_tag="service_requests")


@api_view("GET")
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    found = selectors.service_request_for_token(token=token)
    if found is None:
        return render_errors([(404, f"token 不存在：{token}")], fmt=fmt, status=404)
    summary, canonical = found
    return render([token_dict(summary, token=canonical)], fmt=fmt, root_tag="service_requests")


@api_view("GET")
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    response = render_errors([(404, "没有这个接口地址。")], fmt=_fmt_of(request), status=404)
    if request.method == "HEAD":
        response.content = b""
    return response
