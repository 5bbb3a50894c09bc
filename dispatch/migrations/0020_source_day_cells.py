"""Per-day counts of requests by source, for the dashboard's intake table (dispatch.rollups).

Days rolled up before this table existed get their rows here, from one
GROUP BY (local day, source) over the requests, so their StatsDay rows stay
fresh (no day has to be rebuilt).
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import TruncDate


def source_cells_fill(apps, schema_editor):
    HelpRequest = apps.get_model("requests_app", "HelpRequest")
    SourceDayCell = apps.get_model("dispatch", "SourceDayCell")
    rows = (
        HelpRequest.objects.annotate(day=TruncDate("created_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values("day", "source")
        .annotate(n=Count("id"))
        .order_by()
    )
    SourceDayCell.objects.bulk_create(
        (SourceDayCell(day=r["day"], source=r["source"], received=r["n"]) for r in rows), batch_size=2000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0019_assignment_assist_index"),
        ("requests_app", "0018_request_lead_unit_and_list_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SourceDayCell",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="日期")),
                ("source", models.CharField(max_length=8, verbose_name="来源")),
                ("received", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "来源日统计",
                "verbose_name_plural": "来源日统计",
                "constraints": [models.UniqueConstraint(fields=("day", "source"), name="source_day_cell_unique")],
            },
        ),
        migrations.RunPython(source_cells_fill, migrations.RunPython.noop, elidable=True),
    ]
