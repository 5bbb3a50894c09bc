"""The cached active channels and districts behind every public form."""

import pytest
from django.core.cache import cache

from requests_app import selectors
from requests_app.forms import HelpRequestForm
from requests_app.models import Category, District
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db


def test_active_choices_are_read_once_then_served_from_the_cache(django_assert_num_queries):
    with django_assert_num_queries(2):
        first = selectors.active_choices()
    with django_assert_num_queries(0):
        second = selectors.active_choices()
    assert [c.code for c in second.categories] == [c.code for c in first.categories]
    assert [c.code for c in first.categories] == list(
        Category.objects.filter(is_active=True).values_list("code", flat=True)
    )
    assert len(first.districts) == District.objects.filter(is_active=True).count()


def test_the_form_renders_and_validates_without_queries_once_warm(django_assert_num_queries):
    selectors.active_choices()
    data = valid_data()
    with django_assert_num_queries(0):
        form = HelpRequestForm(data)
        assert form.is_valid(), form.errors
        html = HelpRequestForm().as_p()
    assert form.cleaned_data["category"].code == "minsheng"
    assert form.cleaned_data["district"].code == "jinshui"
    assert "民生" in html and "金水区" in html


@pytest.mark.parametrize("model", [Category, District])
def test_switching_a_choice_off_takes_effect_at_once(model):
    field = "category" if model is Category else "district"
    row = model.objects.get(code="minsheng" if model is Category else "jinshui")
    assert HelpRequestForm(valid_data()).is_valid()  # warms the cache

    row.is_active = False
    row.save()  # as the admin's list_editable does
    form = HelpRequestForm(valid_data())
    assert not form.is_valid()
    assert "请选择列表中的" in form.errors[field][0]
    rendered = HelpRequestForm().as_p()
    assert 'name="category"' in rendered and 'name="district"' in rendered
    assert f'value="{row.pk}">{row.name}<' not in rendered

    row.is_active = True
    row.save()
    assert HelpRequestForm(valid_data()).is_valid()


def test_a_new_channel_shows_at_once_and_a_deleted_one_goes():
    selectors.active_choices()
    new = Category.objects.create(code="huanbao", name="环保", order=99)
    assert "环保" in HelpRequestForm().as_p()
    new.delete()
    rendered = HelpRequestForm().as_p()
    assert "民生" in rendered
    assert "环保" not in rendered


def test_the_cache_is_dropped_again_at_commit(django_capture_on_commit_callbacks):
    row = Category.objects.get(code="minsheng")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row.save()
    selectors.active_choices()  # a request refills the cache before the commit
    assert cache.get(selectors.ACTIVE_CHOICES_CACHE_KEY) is not None
    for callback in callbacks:
        callback()
    assert cache.get(selectors.ACTIVE_CHOICES_CACHE_KEY) is None


@pytest.mark.parametrize("value", ["999999", "abc", "1.0", "", " "])
def test_values_outside_the_active_rows_are_refused(value):
    form = HelpRequestForm(valid_data(category=value))
    assert not form.is_valid()
    assert "category" in form.errors


def test_category_preselected_from_the_query_string(client):
    response = client.get("/help/new/?category=jiaotong")
    assert response.context["form"].initial["category"].code == "jiaotong"
    response = client.get("/help/new/?category=nope")
    assert response.context["form"].initial["category"] is None


def test_another_process_dropping_the_stamp_makes_this_one_read_the_rows_again(django_assert_num_queries):
    def name() -> str:
        return next(c.name for c in selectors.active_choices().categories if c.code == "minsheng")

    assert name() == "民生"
    Category.objects.filter(code="minsheng").update(name="民生服务")  # around the ORM's signals: no drop
    assert name() == "民生"  # kept under its stamp
    cache.delete(selectors.ACTIVE_CHOICES_CACHE_KEY)  # as active_choices_invalidate does in any process
    with django_assert_num_queries(2):
        assert name() == "民生服务"


def test_rows_read_while_another_process_stamps_are_not_kept_under_its_stamp(django_assert_num_queries):
    cache.delete(selectors.ACTIVE_CHOICES_CACHE_KEY)
    real_add = cache.add

    def stamped_meanwhile(key, value, *args, **kwargs):
        real_add(key, "their-stamp", *args, **kwargs)  # the other process reads and stamps first
        return real_add(key, value, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "add", stamped_meanwhile)
        selectors.active_choices()
    assert cache.get(selectors.ACTIVE_CHOICES_CACHE_KEY) == "their-stamp"
    with django_assert_num_queries(2):  # our rows may be older than theirs: read again under their stamp
        selectors.active_choices()
    with django_assert_num_queries(0):
        selectors.active_choices()
