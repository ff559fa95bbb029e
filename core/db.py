"""Database helpers Django does not have."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router, transaction
from django.db.models import Q
from django.db.models.fields import NOT_PROVIDED


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


def update_set(objects: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Save `fields` of each object (each its own values) in one statement on PostgreSQL:
    `UPDATE … FROM unnest(<one array a column>)`, so a claim over many rows is one round trip
    and a handful of parameters whatever their number; elsewhere `update_each` (SQLite's
    executemany stays in-process). All or nothing."""
    if not objects:
        return
    model = type(objects[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        update_each(objects, fields)
        return
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    pk = meta.pk
    names = ", ".join(quote(f"v_{field.column}") for field in [pk, *columns])
    arrays = ", ".join(f"%s::{_array_type(f, connection)}" for f in [pk, *columns])
    assignments = ", ".join(f"{quote(f.column)} = v.{quote('v_' + f.column)}" for f in columns)
    table = quote(meta.db_table)
    sql = (
        f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) "
        f"WHERE {table}.{quote(pk.column)} = v.{quote('v_' + pk.column)}"
    )
    params = [[obj.pk for obj in objects]] + [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objects]
        for f in columns
    ]
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _array_type(field: models.Field, connection) -> str:
    """The PostgreSQL array type of a column, without a length (as Django's UNNEST insert)."""
    target = field.target_field if field.is_relation else field
    return f"{target.db_type(connection).split('(')[0]}[]"


def _unnestable(fields: Sequence[models.Field], connection) -> bool:
    """Whether each value of these fields travels as a plain array element (Django's rule for
    its own UNNEST insert: no per-value placeholder, a standard internal type)."""
    return all(
        not hasattr(field, "get_placeholder")
        and (field.target_field if field.is_relation else field).get_internal_type()
        in connection.data_types
        for field in fields
    )


def create_each(objects: Sequence[models.Model]) -> None:
    """Insert new objects of one model with multi-row `INSERT … RETURNING pk`; sets their pks.

    `QuerySet.bulk_create` for the plain case (no signals, conflicts or parents, as
    bulk_create has none either; a model with database defaults or generated columns goes to
    bulk_create), without its per-value SQL assembly, which took three times
    as long as the insert itself on the dispatcher's batches (docs/BENCHMARKS.md, pipeline).
    Values are converted by each field as `save()` converts them. All or nothing.
    """
    if not objects:
        return
    model = type(objects[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    plain = not any(f.generated or f.db_default is not NOT_PROVIDED for f in fields)
    if not (plain and connection.features.can_return_rows_from_bulk_insert):
        model._base_manager.using(connection.alias).bulk_create(objects)  # it knows those
        return
    quote = connection.ops.quote_name
    head = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    )
    row = f"({', '.join(['%s'] * len(fields))})"
    if connection.vendor == "postgresql" and len(objects) > 1 and _unnestable(fields, connection):
        _insert_unnest(objects, fields, connection)
        return
    size = max(1, connection.ops.bulk_batch_size(fields, objects))
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(objects), size):
            batch = objects[start : start + size]
            params = [
                field.get_db_prep_save(field.pre_save(obj, True), connection)
                for obj in batch
                for field in fields
            ]
            sql = f"{head}{', '.join([row] * len(batch))} RETURNING {quote(meta.pk.column)}"
            cursor.execute(sql, params)
            for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias


SEARCHED_WORDS = 5


def search_words(queryset: models.QuerySet, q: str, fields: Sequence[str]) -> models.QuerySet:
    """Keep the rows holding each of the first SEARCHED_WORDS words of `q` (case-insensitive)
    in at least one of `fields`: a search box over a list (the inbox, a campaign's people)."""
    for word in q.split()[:SEARCHED_WORDS]:
        anywhere = Q()
        for field in fields:
            anywhere |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(anywhere)
    return queryset


def _insert_unnest(objects: Sequence[models.Model], fields, connection) -> None:
    """`INSERT … SELECT * FROM unnest(<one array a column>) RETURNING pk`: a few parameters
    however many rows (a VALUES list of 500 messages is 11,500 placeholders, whose parsing cost
    more than the insert). Rows come back in the arrays' order, as Django's own UNNEST insert
    relies on."""
    meta = type(objects[0])._meta
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{_array_type(f, connection)}" for f in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"SELECT * FROM unnest({arrays}) RETURNING {quote(meta.pk.column)}"
    )
    params = [
        [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objects]
        for field in fields
    ]
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, params)
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias
