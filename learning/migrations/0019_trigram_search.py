"""Trigram indexes (PostgreSQL's pg_trgm) for the admin's search of certifications and participants: the search
matches text anywhere in a value ignoring case (UPPER(column) LIKE '%…%'), which a B-tree cannot answer but a
trigram GIN index on UPPER(column) can. Nothing happens on SQLite, the embedded default, where tables are small."""

from django.db import migrations

INDEXES = {
    "learning_certification": ["number"],
    "learning_user": ["email", "first_name", "last_name", "registration_number", "employer"],
}


def index_name(table: str, column: str) -> str:
    return f"{table.removeprefix('learning_')}_{column}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in INDEXES.items():
        for column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS {index_name(table, column)} ON "{table}" '
                f'USING gin (UPPER("{column}") gin_trgm_ops)'
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, columns in INDEXES.items():
        for column in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS {index_name(table, column)}")


class Migration(migrations.Migration):
    dependencies = [("learning", "0018_organisations")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
