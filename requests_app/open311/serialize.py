"""Open311 representations (plain dicts) and their JSON and XML renderings.

The dicts are the single source for both formats and for webhook payloads.
XML follows the GeoReport v2 element names: a list is a wrapper element with
one child per item (`<service_requests><request>…`), text is UTF-8.
Times are ISO 8601 in Asia/Shanghai (+08:00).
"""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

from ..models import Category, District, Urgency
from ..public import PublicSummary

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"

# The element name of one item inside each list-valued element.
_ITEM_TAGS = {
    "service_requests": "request",
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def service_dict(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": True,
        "type": "realtime",
        "keywords": category.name,
        "group": category.get_group_display(),
    }


def service_definition_dict(category: Category, districts: list[District]) -> dict:
    """The portal's extra fields as Open311 attributes (sent as `attribute[<code>]`)."""
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "title",
                "datatype": "string",
                "required": True,
                "datatype_description": "一句话概括问题，最多60字",
                "order": 1,
                "description": "标题",
            },
            {
                "variable": True,
                "code": "urgency",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "紧急问题（如就医、断供）3小时内落实解决；工作人员会核实",
                "order": 2,
                "description": "是否紧急",
                "values": [{"key": value, "name": str(label)} for value, label in Urgency.choices],
            },
            {
                "variable": True,
                "code": "district",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "所在区县(市)的代码",
                "order": 3,
                "description": "所在区县(市)",
                "values": [{"key": d.code, "name": d.name} for d in districts],
            },
            {
                "variable": True,
                "code": "consent",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "市民已阅读并同意隐私说明",
                "order": 4,
                "description": "个人信息仅用于办理本次求助，公开页面不显示完整姓名和电话",
                "values": [{"key": "true", "name": "同意"}],
            },
        ],
    }


def service_request_dict(summary: PublicSummary) -> dict:
    """A request in Open311 terms, from its keyless public summary (GET requests, webhooks).

    `description` is the title through the redactor, `status_notes` the
    system's status text, `address` the district only: the request text, the
    notes and the ratings' comments are never published.
    """
    return {
        "service_request_id": summary.ticket_number,
        "status": summary.status,
        "status_notes": summary.status_notes,
        "service_name": summary.service_name,
        "service_code": summary.service_code,
        "description": summary.title,
        "agency_responsible": summary.agency,
        "service_notice": "",
        "requested_datetime": iso(summary.submitted_at),
        "updated_datetime": iso(summary.updated_at),
        "expected_datetime": iso(summary.expected_at),
        "address": summary.district_name,
    }


SERVICE_NOTICE = "已受理：1小时内回应联系，7小时内落实解决，1天内反馈结果。"


def service_request_created_dict(summary: PublicSummary, *, token: str) -> dict:
    """The answer to POST requests: the number and the token the client may look it up by."""
    return {
        "service_request_id": summary.ticket_number,
        "token": token,
        "service_notice": SERVICE_NOTICE,
        "account_id": None,
    }


def token_dict(summary: PublicSummary, *, token: str) -> dict:
    """GET tokens/<token>: which request the client's token stands for."""
    return {"service_request_id": summary.ticket_number, "token": token}


def _xml_append(parent: ET.Element, tag: str, value: object) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_append(element, key, item)
    elif isinstance(value, list):
        item_tag = _ITEM_TAGS.get(tag, "item")
        for item in value:
            _xml_append(element, item_tag, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def to_xml(root_tag: str, value: list | dict) -> bytes:
    root = ET.Element(root_tag)
    if isinstance(value, list):
        item_tag = _ITEM_TAGS.get(root_tag, "item")
        for item in value:
            _xml_append(root, item_tag, item)
    else:
        for key, item in value.items():
            _xml_append(root, key, item)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def render(value: list | dict, *, fmt: str, root_tag: str, status: int = 200) -> HttpResponse:
    """Render `value` as JSON or XML; `root_tag` names the XML root (e.g. service_requests)."""
    if fmt == "xml":
        return HttpResponse(to_xml(root_tag, value), content_type=XML_TYPE, status=status)
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), content_type=JSON_TYPE, status=status)


def render_errors(errors: list[tuple[int, str]], *, fmt: str, status: int) -> HttpResponse:
    """Errors in the spec's form: a list of {code, description}."""
    return render(
        [{"code": code, "description": description} for code, description in errors],
        fmt=fmt,
        root_tag="errors",
        status=status,
    )
