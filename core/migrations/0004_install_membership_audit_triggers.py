"""Install the audit triggers of the two auto-created link tables (group members, user roles).

pgtrigger writes migration operations for the triggers of declared models only; the triggers pghistory puts on an
auto-created many-to-many table (core.models, `pghistory.track(...)(AssignmentGroup.members.through)`) are installed
here instead.
"""

from django.db import migrations

TRIGGERS = (
    "core.AssignmentGroup_members:member_add_insert",
    "core.AssignmentGroup_members:member_remove_delete",
    "core.User_groups:role_add_insert",
    "core.User_groups:role_remove_delete",
)


def install(apps, schema_editor):
    import pgtrigger

    pgtrigger.install(*TRIGGERS, database=schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    import pgtrigger

    pgtrigger.uninstall(*TRIGGERS, database=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_user_time_zone_and_audit")]

    operations = [migrations.RunPython(install, uninstall)]
