"""The request's active lead unit (denormalised from dispatch's hand-overs) and the list's partial indexes.

The column is filled from the active lead assignments in one set-based
UPDATE ... FROM before the indexes are built, so existing databases (millions
of requests) migrate in one pass over the table, not a loop per row.
"""

from django.db import migrations, models

BACKFILL_SQL = """
UPDATE requests_app_helprequest AS h SET lead_unit_id = a.unit_id
FROM dispatch_assignment a
WHERE a.request_id = h.id AND a.is_active AND a.role = 'lead'
"""


def lead_unit_backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKFILL_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0017_phone_created_index"),
        # The backfill reads the hand-overs (dispatch_assignment).
        ("dispatch", "0018_surge_joins"),
    ]

    operations = [
        migrations.AddField(
            model_name="helprequest",
            name="lead_unit_id",
            field=models.IntegerField(blank=True, editable=False, null=True, verbose_name="主办单位编号"),
        ),
        migrations.RunPython(lead_unit_backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(
                condition=models.Q(
                    (
                        "state__in",
                        ("accepted", "handed_over", "listed", "reopened", "resolved", "returned", "submitted"),
                    )
                ),
                fields=["-created_at", "-id"],
                include=("next_due_at",),
                name="req_open_created_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(
                condition=models.Q(("tag_nan", True)), fields=["-created_at", "-id"], name="req_nan_created_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(
                condition=models.Q(("tag_chou", True)), fields=["-created_at", "-id"], name="req_chou_created_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(
                condition=models.Q(("tag_pan", True)), fields=["-created_at", "-id"], name="req_pan_created_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(fields=["request_type", "-created_at"], name="req_type_created_idx"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(fields=["lead_unit_id", "-created_at"], name="req_lead_created_idx"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(
                condition=models.Q(
                    (
                        "state__in",
                        ("accepted", "handed_over", "listed", "reopened", "resolved", "returned", "submitted"),
                    )
                ),
                fields=["lead_unit_id", "next_due_at"],
                name="req_lead_active_due_idx",
            ),
        ),
    ]
