"""The inventory of personal data is complete: every model's personal fields are listed or declared."""

from __future__ import annotations

import pytest
from django.db import models
from django.test.utils import isolate_apps

from requests_app import personal_data
from requests_app.crypto import EncryptedTextField
from requests_app.personal_data import Kind, inventory, inventory_stale, inventory_unlisted


def test_every_installed_model_s_personal_fields_are_in_the_inventory():
    missing = inventory_unlisted()
    assert missing == [], (
        f"Personal-looking fields missing from the inventory: {missing}. Register them with "
        "personal_data.inventory_register (in the app's own personal_data module), or declare "
        "them with inventory_declare_not_personal and say why."
    )


def test_every_entry_names_a_field_that_exists():
    assert inventory_stale() == []


def test_every_encrypted_field_is_in_the_inventory_and_rotated():
    encrypted = {(e.model, e.field) for e in personal_data.inventory_encrypted()}
    assert encrypted == {
        ("requests_app.HelpRequest", "name"),
        ("requests_app.HelpRequest", "phone"),
        ("requests_app.HelpRequest", "address"),
        ("requests_app.HelpRequest", "latitude"),
        ("requests_app.HelpRequest", "longitude"),
        ("dispatch.Notification", "recipient"),
        ("board.MeToo", "phone"),
    }


def test_the_back_office_registers_its_own_entries():
    listed = {(e.model, e.field) for e in inventory()}
    assert ("dispatch.Notification", "recipient") in listed
    assert ("dispatch.Assignment", "instructions") in listed


def test_every_entry_anonymisation_erases_leads_to_a_request():
    for entry in personal_data.inventory_for_requests():
        model = entry.model_class
        if entry.request_path:
            field = model._meta.get_field(entry.request_path.split("__")[0])
            assert field.related_model is not None, entry
        else:
            assert model._meta.label == personal_data.REQUEST
        if entry.kind == Kind.FILE:
            assert entry.erased is personal_data.DELETE


@isolate_apps("requests_app")
def test_the_check_catches_an_unlisted_field():
    class Complaint(models.Model):
        mobile = models.CharField(max_length=20)
        secret = EncryptedTextField()
        scan = models.FileField()
        reporter_name = models.CharField(max_length=20)
        first_contact_at = models.DateTimeField()  # a time, not personal data
        hours = models.PositiveIntegerField()

        class Meta:
            app_label = "requests_app"

        def __str__(self) -> str:
            return self.mobile

    assert inventory_unlisted([Complaint]) == [
        "requests_app.Complaint.mobile",
        "requests_app.Complaint.secret",
        "requests_app.Complaint.scan",
        "requests_app.Complaint.reporter_name",
    ]


def test_the_check_catches_a_dropped_entry_and_an_encrypted_field_declared_not_personal(monkeypatch):
    from requests_app.models import HelpRequest

    entries = dict(personal_data._ENTRIES)
    del entries[("requests_app.HelpRequest", "phone")]
    del entries[("requests_app.HelpRequest", "title")]
    monkeypatch.setattr(personal_data, "_ENTRIES", entries)
    not_personal = dict(personal_data._NOT_PERSONAL)
    not_personal[("requests_app.HelpRequest", "phone")] = "wrongly declared"
    monkeypatch.setattr(personal_data, "_NOT_PERSONAL", not_personal)
    # "title" does not look personal by its name: only listing it protects it. "phone" is caught
    # even when declared not personal, because it is encrypted.
    assert inventory_unlisted([HelpRequest]) == ["requests_app.HelpRequest.phone"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("username", True),
        ("decision_note", True),
        ("ip_address", True),
        ("recipient", True),
        ("id_number", True),
        ("email", True),
        ("tel", True),
        ("hotel_stars", False),
        ("state", False),
        ("kind", False),
    ],
)
def test_names_that_look_personal(name, expected):
    field = models.CharField(max_length=10)
    field.name = name
    assert personal_data.looks_personal(field) is expected


def test_the_readme_shows_the_inventory_the_code_has():
    """The README's table is `manage.py personal_data_inventory`'s output: it cannot drift from the code."""
    import io
    from pathlib import Path

    from django.core.management import call_command

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start, end = "<!-- personal-data-inventory:start -->\n", "<!-- personal-data-inventory:end -->"
    assert start in readme and end in readme
    table = readme.split(start, 1)[1].split(end, 1)[0]
    printed = io.StringIO()
    call_command("personal_data_inventory", stdout=printed)
    assert table == printed.getvalue(), "README out of date: paste `python manage.py personal_data_inventory`"
