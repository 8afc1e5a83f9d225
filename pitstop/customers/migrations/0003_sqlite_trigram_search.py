"""FTS5 trigram indexes on SQLite for "contains" searches (see customers/search_index.py).
PostgreSQL got pg_trgm indexes in 0002; this migration does nothing there."""

from django.db import migrations

from pitstop.customers import search_index


def forwards(apps, schema_editor):
    search_index.install(schema_editor)


def backwards(apps, schema_editor):
    search_index.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_search_trigram_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
