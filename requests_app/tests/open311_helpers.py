"""Shared helpers for the Open311 API tests."""

from requests_app.open311 import services


def make_client(name="正观新闻APP", webhook_url=""):
    return services.api_client_create(name=name, webhook_url=webhook_url)


def api_request_for(url):
    """(request, client): a request the grid system submitted through the API, its webhook at `url`."""
    from requests_app.tests.factories import category, district

    client, _ = make_client(name="网格化管理系统", webhook_url=url)
    data = {
        "category": category(),
        "urgency": "normal",
        "district": district(),
        "name": "张三",
        "phone": "13812345678",
        "address": "",
        "title": "小区停水三天",
        "content": "我们小区从周一开始停水，至今没有恢复。",
    }
    return services.service_request_create(client=client, data=data).request, client


def post_data(key, **overrides):
    data = {
        "api_key": key,
        "service_code": "minsheng",
        "description": "我们小区从周一开始停水，至今没有恢复，老人孩子生活很困难。",
        "first_name": "三丰",
        "last_name": "张",
        "phone": "138 1234 5678",
        "address_string": "金水路1号",
        "attribute[urgency]": "normal",
        "attribute[district]": "jinshui",
        "attribute[title]": "小区停水三天",
        "attribute[consent]": "true",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
