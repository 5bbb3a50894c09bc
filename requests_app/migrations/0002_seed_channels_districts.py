"""Seed the article's channels and emergency categories, and Zhengzhou's county-level divisions."""

from django.db import migrations

from requests_app.reference_data import reference_data_seed


def seed(apps, schema_editor):
    reference_data_seed(apps)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
