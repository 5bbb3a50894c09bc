"""Open311 GeoReport v2 endpoints. Thin: parse the query or form, call one selector or service, render.

Every URL ends in `.json` or `.xml` (the spec's format suffix). Errors are a
list of {code, description}; form errors carry the web form's own messages,
prefixed with the Open311 parameter they concern. Only `POST requests` needs
a key and is exempt from CSRF (clients are servers, not browsers with cookies).
"""

from __future__ import annotations

import datetime as dt
import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

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

CHANGESET = dt.datetime(2026, 3, 15, tzinfo=dt.UTC)

# HelpRequestForm field -> the Open311 parameter that carries it.
FORM_TO_PARAM = {
    "category": "service_code",
    "urgency": "attribute[urgency]",
    "district": "attribute[district]",
    "name": "last_name",
    "phone": "phone",
    "address": "address_string",
    "title": "attribute[title]",
    "content": "description",
    "consent": "attribute[consent]",
}

_LATIN = re.compile(r"^[A-Za-z .'\-]*$")
_OFFSET_SPACE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


class Open311RequestForm(HelpRequestForm):
    """The web form, addressed by codes instead of primary keys (same rules, same messages)."""

    bot_checks = False  # the client is identified by its API key

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for browser_only in ("website", "shown_at", "photos"):
            del self.fields[browser_only]
        self.fields["category"].to_field_name = "code"
        self.fields["district"].to_field_name = "code"


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
        "title": post.get("attribute[title]", ""),
        "content": post.get("description", ""),
        "consent": post.get("attribute[consent]", ""),
    }


@require_GET
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


@require_GET
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return render([service_dict(c) for c in selectors.services_list()], fmt=fmt, root_tag="services")


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = selectors.service_get(code=code)
    if category is None:
        return render_errors([(404, f"service_code 不存在：{code}")], fmt=fmt, status=404)
    definition = service_definition_dict(category, selectors.districts_list())
    return render(definition, fmt=fmt, root_tag="service_definition")


def _parse_time(value: str) -> dt.datetime:
    # An unencoded "+" in a query string arrives as a space: put the offset's sign back.
    parsed = dt.datetime.fromisoformat(_OFFSET_SPACE.sub(r"\1+\2", value.strip()))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    # In UTC, as stored: the database refuses odd offsets such as +16:02.
    return parsed.astimezone(dt.UTC)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _request_query(params) -> tuple[selectors.RequestQuery | None, str]:
    """Parse GET requests' filters; returns (query, "") or (None, error description)."""
    if any("\x00" in value for value in params.values()):
        return None, "参数中不能包含空字符。"
    times = {}
    for name in ("start_date", "end_date"):
        raw = params.get(name, "")
        if raw:
            try:
                times[name] = _parse_time(raw)
            except (ValueError, OverflowError):
                return None, f"{name} 不是有效的 ISO 8601 时间：{raw}"
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


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_endpoint(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _requests_create(request, fmt)
    query, error = _request_query(request.GET)
    if query is None:
        return render_errors([(400, error)], fmt=fmt, status=400)
    found = selectors.service_requests_search(query=query)
    return render([service_request_dict(s) for s in found], fmt=fmt, root_tag="service_requests")


def _requests_create(request: HttpRequest, fmt: str) -> HttpResponse:
    key = request.POST.get("api_key", "") or request.headers.get("X-Api-Key", "")
    client = selectors.api_client_for_key(key=key)
    if client is None:
        return render_errors([(403, "api_key 无效或已停用。")], fmt=fmt, status=403)
    form = Open311RequestForm(_form_data(request.POST))
    if not form.is_valid():
        errors = [
            (400, f"{FORM_TO_PARAM.get(field, field)}: {message}")
            for field, messages in form.errors.items()
            for message in messages
        ]
        return render_errors(errors, fmt=fmt, status=400)
    submission = services.service_request_create(client=client, data=form.cleaned_data)
    summary = selectors.service_request_get(pk=submission.request_id)
    assert summary is not None, "the request was stored by the call above"
    body = [service_request_created_dict(summary, token=str(submission.token))]
    return render(body, fmt=fmt, root_tag="service_requests", status=201)


@require_GET
def request_detail(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    found = None
    if "\x00" not in service_request_id:
        found = selectors.service_request_get(service_request_id=service_request_id)
    if found is None:
        return render_errors([(404, f"service_request_id 不存在：{service_request_id}")], fmt=fmt, status=404)
    return render([service_request_dict(found)], fmt=fmt, root_tag="service_requests")


@require_GET
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    found = selectors.service_request_for_token(token=token)
    if found is None:
        return render_errors([(404, f"token 不存在：{token}")], fmt=fmt, status=404)
    summary, canonical = found
    return render([token_dict(summary, token=canonical)], fmt=fmt, root_tag="service_requests")


@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest) -> HttpResponse:
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return render_errors([(404, "没有这个接口地址。")], fmt=fmt, status=404)
