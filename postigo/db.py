"""Database helpers Django does not have."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router, transaction


def update_each(objects: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Save `fields` of each object with one `UPDATE … WHERE pk = %s`, sent as one executemany.

    What `QuerySet.bulk_update` does, without building a `CASE WHEN pk = … THEN …` expression
    per object and field: on a batch of 50 messages and 6 fields that took longer than the SQL
    itself (docs/BENCHMARKS.md, pipeline). Values are converted by each field as `save()`
    converts them. All or nothing: in the caller's transaction, else in one of its own (in
    autocommit every row would be a transaction of its own — half-applied on an error, and on
    SQLite seven times slower).
    """
    if not objects:
        return
    model = type(objects[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [
            *(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns),
            obj.pk,
        ]
        for obj in objects
    ]
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
