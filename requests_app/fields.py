"""Form fields the citizen forms share: photos, active catalogue rows, coordinates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from django import forms
from django.db.models import Model
from django.forms.models import ModelChoiceIterator

from . import location
from .models import Category

if TYPE_CHECKING:
    pass


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Zero or more uploaded files (Django's documented multiple-upload pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class _ActiveRowsIterator(ModelChoiceIterator):
    """Choices from the field's cached rows instead of a query."""

    field: ActiveRowChoiceField

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.rows():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self.field.rows()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.rows())


class ActiveRowChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that renders and validates against cached active rows: no query per form.

    `queryset` still describes the same rows (for anyone introspecting the
    form); `rows` returns them from selectors.active_choices(). A value is
    accepted exactly when the queryset's `.get(pk=value)` would find it.
    """

    iterator = _ActiveRowsIterator

    def __init__(self, *, rows: Callable[[], Sequence[Model]], **kwargs):
        self.rows = rows
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        field = self.to_field_name or "pk"
        if isinstance(value, self.queryset.model):
            value = getattr(value, field)
        self.validate_no_null_characters(value)
        if field == "pk":
            try:
                key = int(value)
            except (TypeError, ValueError):
                key = None
        else:
            key = str(value)
        for obj in self.rows():
            if getattr(obj, field) == key:
                return obj
        raise forms.ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class CoordinateField(forms.CharField):
    """Optional degrees (WGS-84) as a Decimal rounded to six places; not a number → "invalid"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        attrs = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", "maxlength": 40}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        parsed = location.coordinate_parse(value) if len(value) <= 40 else None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class CategoryChoiceField(ActiveRowChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return obj.name
