import time

import pytest
from django.core import signing

from helpdesk.tests.pages import html_of
from requests_app.forms import _SHOWN_AT_SALT, HelpRequestForm
from requests_app.models import Category, District, HelpRequest


def shown_at(seconds_ago: float = 60) -> str:
    """The signed time the form was shown, as the rendered form carries it."""
    return signing.dumps(time.time() - seconds_ago, salt=_SHOWN_AT_SALT)


def valid_data(**overrides):
    data = {
        "shown_at": shown_at(),
        "category": str(Category.objects.get(code="minsheng").pk),
        "urgency": "normal",
        "district": str(District.objects.get(code="jinshui").pk),
        "name": "张三",
        "phone": "138 1234 5678",
        "address": "",
        "title": "小区停水三天",
        "content": "我们小区从周一开始停水，至今没有恢复，请帮忙协调。",
        "consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_valid_form_normalises_the_phone():
    form = HelpRequestForm(valid_data())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "13812345678"


BAD_INPUTS = [
    # (field, value, words the citizen must read)
    ("category", "", "请选择求助类别"),
    ("category", "999999", "请选择列表中的求助类别"),
    ("urgency", "", "请选择是否紧急"),
    ("district", "", "请选择所在区县"),
    ("name", "", "请填写姓名"),
    ("name", "张" * 41, "姓名最多 40 个字"),
    ("name", "张三😀", "姓名只能包含汉字"),
    ("name", "<script>alert(1)</script>", "网页代码"),
    ("phone", "", "请填写联系电话"),
    ("phone", "12345", "请填写正确的手机号"),
    ("phone", "1381234567x", "请填写正确的手机号"),
    ("title", "", "请用一句话概括"),
    ("title", "标" * 61, "标题最多 60 个字"),
    ("title", "<b>停水</b>", "网页代码"),
    ("content", "", "请填写求助内容"),
    ("content", "太短了", "至少 10 个字"),
    ("content", "水" * 2001, "最多 2000 个字"),
    ("content", "小区停水三天了<script>alert('x')</script>请帮忙", "网页代码"),
    ("content", "小区停水三天了\x07请帮忙协调解决", "控制字符"),
    ("consent", None, "请阅读并勾选同意隐私说明"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUTS)
def test_bad_input_gets_a_clear_chinese_message_and_nothing_is_saved(client, field, value, message):
    data = valid_data(**{field: value})
    response = client.post("/help/new/", data)
    assert response.status_code == 200
    html = response.content.decode()
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert message in html
    assert HelpRequest.objects.count() == 0
    # Everything else the citizen typed is still in the form.
    assert "小区停水三天" in html or field == "title"
    if field != "content":
        assert "请帮忙协调" in html
    if field != "phone":
        assert "138 1234 5678" in html


@pytest.mark.django_db
def test_emoji_in_the_text_is_kept():
    form = HelpRequestForm(valid_data(content="家里老人发烧了😷，附近药店都没有退烧药，请帮忙。"))
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_the_hidden_honeypot_field_filled_in_means_a_bot(client):
    response = client.post("/help/new/", valid_data(website="http://spam.example"))
    assert "提交未通过安全校验" in response.content.decode()
    assert HelpRequest.objects.count() == 0


@pytest.mark.django_db
def test_a_form_sent_faster_than_a_person_types_is_refused_but_kept(client, settings):
    settings.FORM_MIN_FILL_SECONDS = 3
    response = client.post("/help/new/", valid_data(shown_at=shown_at(seconds_ago=0.5)))
    html = response.content.decode()
    assert "提交过快" in html and "小区停水三天" in html
    assert HelpRequest.objects.count() == 0
    assert client.post("/help/new/", valid_data(shown_at=shown_at(seconds_ago=5))).status_code == 302


@pytest.mark.django_db
def test_a_missing_or_forged_stamp_gets_a_fresh_one_so_the_citizen_can_resend(client):
    response = client.post("/help/new/", valid_data(shown_at="forged"))
    assert "表单已过期" in response.content.decode()
    fresh = response.context["form"].data["shown_at"]
    assert signing.loads(fresh, salt=_SHOWN_AT_SALT)
    assert HelpRequest.objects.count() == 0


@pytest.mark.django_db
def test_the_offline_captcha_can_be_switched_on(client, settings):
    from captcha.models import CaptchaStore

    settings.CAPTCHA_ENABLED = True
    html = client.get("/help/new/").content.decode()
    assert 'name="captcha_0"' in html and "/captcha/image/" in html
    key = CaptchaStore.objects.latest("expiration").hashkey
    image = client.get(f"/captcha/image/{key}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"  # drawn here, no outside service

    wrong = client.post("/help/new/", valid_data(captcha_0=key, captcha_1="xxxx", title="验证码测试"))
    assert "验证码不正确" in wrong.content.decode() and "验证码测试" in wrong.content.decode()
    assert HelpRequest.objects.count() == 0

    key = CaptchaStore.objects.latest("expiration").hashkey  # the re-rendered form's new challenge
    answer = CaptchaStore.objects.get(hashkey=key).response
    assert client.post("/help/new/", valid_data(captcha_0=key, captcha_1=answer.upper())).status_code == 302
    assert HelpRequest.objects.count() == 1


@pytest.mark.django_db
def test_without_the_switch_there_is_no_captcha(client):
    html = html_of(client.get("/help/new/"), 'name="title"', 'name="submit_token"')
    assert 'name="captcha_0"' not in html
