"""Indexes the register paid for on every row written and no query used:

- (participant, course) on certifications: the participant's own index finds their few certifications, and
  certification_newer_lookup answers the reminder scan;
- the `varchar_pattern_ops` copies PostgreSQL gets of each unique text column (for `LIKE 'abc%'`), here of the
  certification number and the email: no query matches either column by a prefix of its stored case (numbers are
  looked up through UPPER(number), by the case-insensitive unique index and the trigram index; emails by equality).
"""

from django.db import migrations

PATTERN_COPIES = [("learning_certification", "number"), ("learning_user", "email")]


def drop_pattern_copies(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # only PostgreSQL gets them
    with schema_editor.connection.cursor() as cursor:
        for table, column in PATTERN_COPIES:
            name = schema_editor._create_index_name(table, [column], suffix="_like")
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_pattern_copies(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, column in PATTERN_COPIES:
            name = schema_editor._create_index_name(table, [column], suffix="_like")
            cursor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" varchar_pattern_ops)')


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0023_certification_newer_lookup"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="certification",
            name="certification_holder_course",
        ),
        migrations.RunPython(drop_pattern_copies, restore_pattern_copies),
    ]
