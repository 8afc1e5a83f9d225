"""Trigram indexes so that "contains" searches (part of a plate, of a mobile, of a name) use
an index on PostgreSQL. SQLite has no such index and skips this migration's SQL."""

from django.db import migrations

INDEXES = [
    ("customer_name_trgm", "customers_customer", "name"),
    ("customer_mobile_trgm", "customers_customer", "mobile"),
    ("vehicle_plate_trgm", "customers_vehicle", "plate"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
