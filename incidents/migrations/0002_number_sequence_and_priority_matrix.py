from django.db import migrations

# impact (rows, 1 = extensive) × urgency (columns, 1 = critical) → priority (1 = P1 urgent ... 4 = P4 minor)
DEFAULT_MATRIX = [
    [1, 1, 2, 3],
    [1, 2, 3, 3],
    [2, 3, 3, 4],
    [3, 3, 4, 4],
]


def fill_matrix(apps, schema_editor):
    Entry = apps.get_model("incidents", "PriorityMatrixEntry")
    for impact, row in enumerate(DEFAULT_MATRIX, start=1):
        for urgency, priority in enumerate(row, start=1):
            Entry.objects.update_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS incidents_incident_number_seq START 1",
            "DROP SEQUENCE IF EXISTS incidents_incident_number_seq",
        ),
        migrations.RunPython(fill_matrix, migrations.RunPython.noop),
    ]
