# Notifications moved to buddying, so that every app (the framework pool too) can tell people things.

from django.db import migrations


def copy_to_buddying(apps, schema_editor):
    old = apps.get_model("arrangements", "Notification")
    new = apps.get_model("buddying", "Notification")
    fields = ["id", "recipient_id", "subject", "body", "url", "created_at", "read_at", "emailed_at"]
    new.objects.bulk_create(
        (new(**row) for row in old.objects.values(*fields).iterator(chunk_size=2000)), batch_size=2000
    )
    if schema_editor.connection.vendor == "postgresql":
        # Rows came with their ids: move the sequence on past them.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('buddying_notification', 'id'), "
                "COALESCE((SELECT MAX(id) FROM buddying_notification), 1))"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("arrangements", "0002_call_offs"),
        ("buddying", "0002_notification"),
    ]

    operations = [
        migrations.RunPython(copy_to_buddying, migrations.RunPython.noop),
        migrations.DeleteModel(name="Notification"),
    ]
