"""Trigram indexes for "part of a plate / mobile / name" searches.

PostgreSQL: pg_trgm GIN indexes on the columns (migration 0002); a plain LIKE uses them.
SQLite: FTS5 tables with the trigram tokenizer, kept in step with the base tables by triggers
(migration 0003); selectors query them through `contains_q`. An SQLite built without FTS5
has no such tables and the search falls back to scanning.

Caution for later migrations: SQLite rebuilds a table to alter it, which drops its triggers.
A migration that alters customers_customer or customers_vehicle on SQLite must call
`install()` again (test_search checks the index is live)."""

from django.db import OperationalError, connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

INDEXES = {
    # FTS table: (base table, indexed columns)
    "customers_customer_search": ("customers_customer", ("name", "mobile")),
    "customers_vehicle_search": ("customers_vehicle", ("plate",)),
}
MIN_FRAGMENT = 3  # the trigram tokenizer matches patterns of three characters or more


def install(schema_editor) -> bool:
    if schema_editor.connection.vendor != "sqlite":
        return False
    for fts, (table, columns) in INDEXES.items():
        cols = ", ".join(columns)
        new_values = ", ".join(f"new.{c}" for c in columns)
        old_values = ", ".join(f"old.{c}" for c in columns)
        try:
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{table}', "
                f"content_rowid='id', tokenize='trigram')"
            )
        except OperationalError:
            return False  # no FTS5 or no trigram tokenizer in this SQLite: plain scans then
        for suffix in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        schema_editor.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new_values}); END"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old_values}); END"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old_values}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new_values}); END"
        )
        schema_editor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    return True


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for fts in INDEXES:
        for suffix in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {fts}")


_available: dict[str, bool] = {}


def sqlite_index_live(fts: str) -> bool:
    key = f"{connection.settings_dict['NAME']}:{fts}"
    if key not in _available:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s", [f"{fts}_ai"])
            _available[key] = cursor.fetchone() is not None
    return _available[key]


def contains_q(fts: str, column: str, fragment: str) -> Q:
    """Rows whose `column` contains `fragment`, through a trigram index where there is one."""
    fragment = fragment.replace("%", "").replace("_", "")
    if connection.vendor == "sqlite" and len(fragment) >= MIN_FRAGMENT and sqlite_index_live(fts):
        return Q(pk__in=RawSQL(f"SELECT rowid FROM {fts} WHERE {column} LIKE %s", [f"%{fragment}%"]))
    return Q(**{f"{column}__contains": fragment})
