"""The OpenAPI 3 document of the Open311 API, served at /open311/v2/openapi.json.

Built per request so the lists of service codes and districts match the
database. The test suite runs schemathesis against it (tests/test_open311_schema.py):
keep it in step with views.py and serialize.py.
"""

from __future__ import annotations

from ..forms import CONTENT_MAX, CONTENT_MIN
from ..models import Urgency
from . import selectors

_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}


def _json_and_xml(schema: dict, description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "text/xml": {"schema": {"type": "string"}},
        },
    }


def _errors(description: str) -> dict:
    return _json_and_xml({"$ref": "#/components/schemas/Errors"}, description)


def _fmt_param() -> dict:
    return {
        "name": "fmt",
        "in": "path",
        "required": True,
        "description": "响应格式",
        "schema": {"type": "string", "enum": ["json", "xml"]},
    }


def openapi_document() -> dict:
    service_codes = [c.code for c in selectors.services_list()]
    district_codes = [d.code for d in selectors.districts_list()]
    schemas = {
        "Error": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
            "additionalProperties": False,
        },
        "Errors": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Error"}},
        "Service": {
            "type": "object",
            "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
            "properties": {
                "service_code": {"type": "string"},
                "service_name": {"type": "string"},
                "description": {"type": "string"},
                "metadata": {"type": "boolean"},
                "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
                "keywords": {"type": "string"},
                "group": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "Attribute": {
            "type": "object",
            "required": ["variable", "code", "datatype", "required", "datatype_description", "order", "description"],
            "properties": {
                "variable": {"type": "boolean"},
                "code": {"type": "string"},
                "datatype": {
                    "type": "string",
                    "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"],
                },
                "required": {"type": "boolean"},
                "datatype_description": {"type": "string"},
                "order": {"type": "integer"},
                "description": {"type": "string"},
                "values": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["key", "name"],
                        "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                    },
                },
            },
            "additionalProperties": False,
        },
        "ServiceDefinition": {
            "type": "object",
            "required": ["service_code", "attributes"],
            "properties": {
                "service_code": {"type": "string"},
                "attributes": {"type": "array", "items": {"$ref": "#/components/schemas/Attribute"}},
            },
            "additionalProperties": False,
        },
        "ServiceRequest": {
            "type": "object",
            "description": "公开进度页所示的内容；不含姓名、电话、地址和求助正文。",
            "required": [
                "service_request_id",
                "status",
                "status_notes",
                "service_name",
                "service_code",
                "description",
                "agency_responsible",
                "service_notice",
                "requested_datetime",
                "updated_datetime",
                "expected_datetime",
                "address",
                "address_id",
                "zipcode",
                "lat",
                "long",
                "media_url",
            ],
            "properties": {
                "service_request_id": {"type": "string", "example": "ZZ20260315-0042"},
                "status": {"type": "string", "enum": ["open", "closed"]},
                "status_notes": {
                    "type": "string",
                    "description": "系统生成的状态说明：状态 · 承办单位 · 最近公开更新时间；不含任何人工填写的文字",
                },
                "service_name": {"type": "string"},
                "service_code": {"type": "string"},
                "description": {"type": "string", "description": "求助标题（电话、证件号、邮箱已隐去）"},
                "agency_responsible": {"type": "string", "description": "承办单位（交办后）"},
                "service_notice": {"type": "string"},
                "requested_datetime": {"type": "string", "format": "date-time"},
                "updated_datetime": {"type": "string", "format": "date-time"},
                "expected_datetime": {**_NULLABLE_TIME, "description": "最近一个未完成时限的截止时间"},
                "address": {"type": "string", "description": "所在区县(市)"},
                "address_id": {"type": "string", "nullable": True, "description": "不保存：总是 null"},
                "zipcode": {"type": "string", "nullable": True, "description": "不保存：总是 null"},
                "lat": {
                    "type": "number",
                    "nullable": True,
                    "description": "WGS-84 纬度，四舍五入到小数点后3位（约100米），从不公开精确位置",
                },
                "long": {"type": "number", "nullable": True, "description": "WGS-84 经度，同样约100米"},
                "media_url": {"type": "string", "nullable": True, "description": "照片不公开：总是 null"},
            },
            "additionalProperties": False,
        },
        "ServiceRequests": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceRequest"}},
        "Created": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["service_request_id", "token", "service_notice", "account_id"],
                "properties": {
                    "service_request_id": {"type": "string"},
                    "token": {"type": "string", "format": "uuid"},
                    "service_notice": {"type": "string"},
                    "account_id": {"type": "string", "nullable": True},
                },
                "additionalProperties": False,
            },
        },
        "Tokens": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["service_request_id", "token"],
                "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
                "additionalProperties": False,
            },
        },
        "Discovery": {
            "type": "object",
            "required": ["changeset", "contact", "key_service", "endpoints"],
            "properties": {
                "changeset": {"type": "string", "format": "date-time"},
                "contact": {"type": "string"},
                "key_service": {"type": "string"},
                "endpoints": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["specification", "url", "changeset", "type", "formats"],
                        "properties": {
                            "specification": {"type": "string"},
                            "url": {"type": "string"},
                            "changeset": {"type": "string", "format": "date-time"},
                            "type": {"type": "string", "enum": ["production", "test"]},
                            "formats": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "NewRequest": {
            "type": "object",
            "required": [
                "api_key",
                "service_code",
                "description",
                "last_name",
                "phone",
                "attribute[urgency]",
                "attribute[district]",
                "attribute[title]",
                "attribute[consent]",
            ],
            "properties": {
                "api_key": {"type": "string", "description": "平台为本系统创建的接口密钥"},
                "service_code": {"type": "string", "enum": service_codes},
                "description": {"type": "string", "minLength": CONTENT_MIN, "maxLength": CONTENT_MAX},
                "first_name": {"type": "string", "maxLength": 20},
                "last_name": {"type": "string", "minLength": 1, "maxLength": 20},
                "phone": {"type": "string", "example": "13812345678"},
                "email": {"type": "string", "description": "不使用"},
                "address_string": {
                    "type": "string",
                    "maxLength": 200,
                    "description": "地址；没有 lat 和 long 时必填",
                },
                "lat": {"type": "number", "description": "WGS-84 纬度（须与 long 同时提供，在本市范围内）"},
                "long": {"type": "number", "description": "WGS-84 经度（须与 lat 同时提供）"},
                "address_id": {"type": "string", "description": "本平台没有地址目录：不能单独作为地点"},
                "attribute[urgency]": {"type": "string", "enum": list(Urgency.values)},
                "attribute[district]": {"type": "string", "enum": district_codes},
                "attribute[title]": {"type": "string", "minLength": 1, "maxLength": 60},
                "attribute[consent]": {"type": "string", "enum": ["true"]},
            },
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "一帮到底 Open311 GeoReport v2",
            "version": "2",
            "description": (
                "郑州一帮到底问政帮办平台的 Open311 GeoReport v2 接口。每个资源都以 .json 或 .xml 结尾；"
                "时间为 ISO 8601（+08:00）。提交求助需要 api_key；查询无需密钥，且从不返回个人信息。"
            ),
        },
        "servers": [{"url": "/open311/v2"}],
        "paths": {
            "/discovery.{fmt}": {
                "get": {
                    "operationId": "discovery",
                    "summary": "接口发现",
                    "parameters": [_fmt_param()],
                    "responses": {"200": _json_and_xml({"$ref": "#/components/schemas/Discovery"}, "接口信息")},
                }
            },
            "/services.{fmt}": {
                "get": {
                    "operationId": "services",
                    "summary": "求助类别（服务）列表",
                    "parameters": [_fmt_param()],
                    "responses": {
                        "200": _json_and_xml(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Service"}}, "服务列表"
                        )
                    },
                }
            },
            "/services/{service_code}.{fmt}": {
                "get": {
                    "operationId": "service_definition",
                    "summary": "服务定义（附加字段）",
                    "parameters": [
                        {"name": "service_code", "in": "path", "required": True, "schema": {"type": "string"}},
                        _fmt_param(),
                    ],
                    "responses": {
                        "200": _json_and_xml({"$ref": "#/components/schemas/ServiceDefinition"}, "服务定义"),
                        "404": _errors("服务不存在"),
                    },
                }
            },
            "/requests.{fmt}": {
                "get": {
                    "operationId": "requests_list",
                    "summary": "查询求助（最多90天、1000条）",
                    "parameters": [
                        _fmt_param(),
                        {"name": "service_request_id", "in": "query", "schema": {"type": "string"}},
                        {"name": "service_code", "in": "query", "schema": {"type": "string"}},
                        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "closed"]}},
                        {
                            "name": "start_date",
                            "in": "query",
                            "description": "W3C 日期时间，也可为 2026、2026-11、2026-11-05（该时段的开始）",
                            "schema": {"type": "string", "format": "date-time"},
                        },
                        {
                            "name": "end_date",
                            "in": "query",
                            "description": "W3C 日期时间，也可为 2026、2026-11、2026-11-05（该时段的结束）",
                            "schema": {"type": "string", "format": "date-time"},
                        },
                    ],
                    "responses": {
                        "200": _json_and_xml({"$ref": "#/components/schemas/ServiceRequests"}, "求助列表"),
                        "400": _errors("参数错误"),
                    },
                },
                "post": {
                    "operationId": "requests_create",
                    "summary": "提交求助（与网页表单相同的校验和时限）",
                    "parameters": [_fmt_param()],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/NewRequest"}}
                        },
                    },
                    "responses": {
                        "201": _json_and_xml({"$ref": "#/components/schemas/Created"}, "已受理"),
                        "400": _errors("校验失败（消息与网页表单相同），或缺少地点"),
                        "403": _errors("api_key 无效或已停用"),
                        "404": _errors("service_code 不存在"),
                        "411": _errors("请求体分块传输，缺少 Content-Length"),
                        "415": _errors("请求体不是表单"),
                    },
                },
            },
            "/requests/{service_request_id}.{fmt}": {
                "get": {
                    "operationId": "request_detail",
                    "summary": "单件求助",
                    "parameters": [
                        {"name": "service_request_id", "in": "path", "required": True, "schema": {"type": "string"}},
                        _fmt_param(),
                    ],
                    "responses": {
                        "200": _json_and_xml({"$ref": "#/components/schemas/ServiceRequests"}, "求助"),
                        "404": _errors("求助不存在"),
                    },
                }
            },
            "/tokens/{token}.{fmt}": {
                "get": {
                    "operationId": "token_detail",
                    "summary": "由提交令牌查询求助编号",
                    "parameters": [
                        {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}},
                        _fmt_param(),
                    ],
                    "responses": {
                        "200": _json_and_xml({"$ref": "#/components/schemas/Tokens"}, "求助编号"),
                        "404": _errors("令牌不存在"),
                    },
                }
            },
        },
        "components": {"schemas": schemas},
    }
