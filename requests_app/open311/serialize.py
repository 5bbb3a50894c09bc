"""Open311 representations (plain dicts) and their JSON and XML renderings.

The dicts are the single source for both formats and for webhook payloads.
XML follows the GeoReport v2 element names: a list is a wrapper element with
one child per item (`<service_requests><request>…`), text is UTF-8.
Times are ISO 8601 in Asia/Shanghai (+08:00).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

from ..forms import CONTENT_MAX, CONTENT_MIN
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


def _rule(code: str, order: int, *, required: bool, rule: str, description: str) -> dict:
    """An informational attribute (`variable: false`): what the server enforces on a standard parameter."""
    return {
        "variable": False,
        "code": code,
        "datatype": "string",
        "required": required,
        "datatype_description": rule,
        "order": order,
        "description": description,
    }


def standard_field_rules(*, bbox: str) -> list[dict]:
    """The limits POST requests enforces on the spec's own parameters (the web form's, see forms.py).

    Open311 has no place for them but attributes; `variable: false` says a
    client shows them and sends nothing for them as `attribute[...]`.
    """
    return [
        _rule(
            "last_name",
            5,
            required=True,
            rule="必填。last_name 与 first_name 合计最多40字；汉字、字母和“·”",
            description="姓名（姓写在 last_name，名写在 first_name，可只填 last_name）",
        ),
        _rule(
            "phone",
            6,
            required=True,
            rule="必填。11位手机号或带区号的固定电话（如 0371-66668888），最多30个字符",
            description="联系电话",
        ),
        _rule(
            "description",
            7,
            required=True,
            rule=f"必填。{CONTENT_MIN}–{CONTENT_MAX}字，不能包含网页代码",
            description="求助内容",
        ),
        _rule(
            "location",
            8,
            required=True,
            rule=(
                f"必填其一：lat 和 long（WGS-84 十进制度数，须在本市范围内：南,西,北,东 = {bbox}），"
                "或 address_string（最多200字）。本平台没有地址目录，不接受单独的 address_id"
            ),
            description="求助地点",
        ),
        _rule(
            "media_url",
            9,
            required=False,
            rule="不接受：照片只能在网页表单上传（仅工作人员可见）",
            description="照片",
        ),
    ]


def service_definition_dict(category: Category, districts: list[District], *, bbox: str) -> dict:
    """The portal's extra fields as Open311 attributes (sent as `attribute[<code>]`), then the rules
    on the standard parameters (`variable: false`)."""
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "title",
                "datatype": "string",
                "required": True,
                "datatype_description": "必填。一句话概括问题，最多60字",
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
            *standard_field_rules(bbox=bbox),
        ],
    }


def service_request_dict(summary: PublicSummary) -> dict:
    """A request in Open311 terms, from its keyless public summary (GET requests, webhooks).

    `description` is the title through the redactor, `status_notes` the
    system's status text, `address` the district only, `lat`/`long` the point
    rounded to ~100 m: the request text, the notes, the ratings' comments and
    the exact point are never published.
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
        # Keys the spec lists that the portal does not keep are there, as null.
        "address_id": None,
        "zipcode": None,
        "lat": _degrees(summary.latitude),  # rounded to ~100 m by the public view
        "long": _degrees(summary.longitude),
        "media_url": None,
    }


def _degrees(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


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
