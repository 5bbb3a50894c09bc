"""The request's clock columns (requests_app.clock), backfilled from the deadline rows.

The backfill is two UPDATEs that write only requests with a running deadline,
which after years of history is a few per cent of the table. The SQL is copied
here as it was when this migration was written.
"""

from django.db import migrations, models

# Portable SQL (PostgreSQL and the SQLite of `make run`): correlated top-1 subqueries,
# only for requests with a running deadline.
BACKFILL_SQL = [
    """
    UPDATE requests_app_helprequest
    SET next_due_at = (SELECT d.due_at FROM requests_app_deadline d
                     WHERE d.request_id = requests_app_helprequest.id AND d.met_at IS NULL AND d.waived_at IS NULL
                     ORDER BY d.due_at, d.id LIMIT 1),
        next_due_kind = (SELECT d.kind FROM requests_app_deadline d
                     WHERE d.request_id = requests_app_helprequest.id AND d.met_at IS NULL AND d.waived_at IS NULL
                     ORDER BY d.due_at, d.id LIMIT 1)
    WHERE EXISTS (SELECT 1 FROM requests_app_deadline d WHERE d.request_id = requests_app_helprequest.id AND d.met_at IS NULL AND d.waived_at IS NULL)
    """,
    """
    UPDATE requests_app_helprequest
    SET missed_due_at = (SELECT d.due_at FROM requests_app_deadline d
                     WHERE d.request_id = requests_app_helprequest.id AND d.met_at IS NULL AND d.waived_at IS NULL AND d.breached_at IS NOT NULL
                     ORDER BY d.due_at, d.id LIMIT 1),
        missed_kind = (SELECT d.kind FROM requests_app_deadline d
                     WHERE d.request_id = requests_app_helprequest.id AND d.met_at IS NULL AND d.waived_at IS NULL AND d.breached_at IS NOT NULL
                     ORDER BY d.due_at, d.id LIMIT 1)
    WHERE EXISTS (SELECT 1 FROM requests_app_deadline d WHERE d.request_id = requests_app_helprequest.id AND d.met_at IS NULL AND d.waived_at IS NULL AND d.breached_at IS NOT NULL)
    """,
]


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0011_helprequest_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="helprequest",
            name="missed_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="最早超时的截止时间"),
        ),
        migrations.AddField(
            model_name="helprequest",
            name="missed_kind",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=16, verbose_name="最早超时的时限"
            ),
        ),
        migrations.AddField(
            model_name="helprequest",
            name="next_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="下一个截止时间"),
        ),
        migrations.AddField(
            model_name="helprequest",
            name="next_due_kind",
            field=models.CharField(blank=True, default="", editable=False, max_length=16, verbose_name="下一个时限"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(fields=["next_due_at", "-created_at"], name="req_next_due_idx"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(fields=["-next_due_at", "-created_at"], name="req_next_due_desc_idx"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(fields=["-state", "-created_at"], name="req_state_desc_idx"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(fields=["-district", "-created_at"], name="req_district_desc_idx"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(fields=["-category", "-created_at"], name="req_category_desc_idx"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(fields=["is_urgent", "-created_at"], name="req_urgent_created_idx"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(fields=["-is_urgent", "-created_at"], name="req_urgent_desc_idx"),
        ),
        migrations.AddIndex(
            model_name="helprequest",
            index=models.Index(
                condition=models.Q(("missed_due_at__isnull", False)),
                fields=["missed_due_at", "id"],
                name="req_missed_due_idx",
            ),
        ),
        migrations.RunSQL(BACKFILL_SQL, migrations.RunSQL.noop),
    ]
