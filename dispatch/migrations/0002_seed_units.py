"""Seed the city's departments and the district/county governments that handle requests."""

from django.db import migrations

from dispatch.reference_data import reference_data_seed


def seed(apps, schema_editor):
    reference_data_seed(apps)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0001_initial"), ("requests_app", "0002_seed_channels_districts")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
