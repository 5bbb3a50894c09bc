"""Encrypt name, phone and address at rest and add the phone's keyed hash.

Rows stored before this migration hold plain text: they are encrypted here,
through raw SQL because the field class would try to decrypt them on load.
"""

from django.db import migrations, models

import requests_app.crypto


def encrypt_existing(apps, schema_editor):
    from requests_app.crypto import encrypt, keyed_hash

    HelpRequest = apps.get_model("requests_app", "HelpRequest")
    table = HelpRequest._meta.db_table
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, name, phone, address FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
    with connection.cursor() as cursor:
        for pk, name, phone, address in rows:
            cursor.execute(
                f"UPDATE {table} SET name = %s, phone = %s, address = %s, phone_hash = %s WHERE id = %s",  # noqa: S608
                [
                    encrypt(name) if name else name,
                    encrypt(phone) if phone else phone,
                    encrypt(address) if address else address,
                    keyed_hash(phone or ""),
                    pk,
                ],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0002_seed_channels_districts"),
    ]

    operations = [
        migrations.AddField(
            model_name="helprequest",
            name="phone_hash",
            field=models.CharField(db_index=True, default="", editable=False, max_length=64, verbose_name="电话指纹"),
        ),
        migrations.AlterField(
            model_name="helprequest",
            name="address",
            field=requests_app.crypto.EncryptedTextField(blank=True, verbose_name="地址"),
        ),
        migrations.AlterField(
            model_name="helprequest",
            name="name",
            field=requests_app.crypto.EncryptedTextField(verbose_name="姓名"),
        ),
        migrations.AlterField(
            model_name="helprequest",
            name="phone",
            field=requests_app.crypto.EncryptedTextField(verbose_name="联系电话"),
        ),
        migrations.AddField(
            model_name="helprequest",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="匿名化时间"),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
    ]
