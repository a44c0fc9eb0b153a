"""Deleting rows in bulk with what depends on them, by the models' ``on_delete`` rules: the
retention purge's, the re-correlation's and the campaigns' deletes (plain statements, never
Django's collector, which reads every related row into memory first)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import CASCADE, PROTECT, RESTRICT, SET_NULL, ForeignObjectRel, Model

from accord.sharing.bulk import array_param, by_index, chunks, may_write_as_replica

__all__ = ["delete_cascading"]


def delete_cascading(model: type[Model], pks: Sequence[int], *, proved: bool = False) -> int:
    """Delete the rows ``pks`` of ``model`` with what Django's ``on_delete`` rules take with
    them (``CASCADE`` deletes, ``SET_NULL`` empties, ``DO_NOTHING`` leaves), in one plain
    statement per relation, dependants first; the number of ``model`` rows deleted. Django's own
    ``delete()`` fetches every related row into memory before deleting it: a retention purge of a
    million objects took hours that way. A ``PROTECT`` or ``RESTRICT`` relation is refused
    before anything is deleted. Inside the caller's transaction.

    ``proved`` (for deletes of thousands of rows): on PostgreSQL, where the role may, the
    foreign keys naming the deleted rows are proved by one statement per key rather than by a
    check per row and key at commit (:func:`_delete_proved`)."""
    wanted = list(pks)
    if not wanted:
        return 0
    _refuse_protected(model, ())
    deleted = 0
    key = connection.ops.quote_name(str(model._meta.pk.column))
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":  # one statement per relation, whatever the number of rows
            if proved and (done := _delete_proved(cursor, model, wanted)) is not None:
                return done
            any_of, param = array_param(wanted)
            return _delete_where(cursor, model, f"{key} {any_of}", [param], any_of)
        for part in chunks(wanted, 900):
            in_list = f"IN ({', '.join(['%s'] * len(part))})"
            deleted += _delete_where(cursor, model, f"{key} {in_list}", list(part), in_list)
    return deleted


def _delete_proved(cursor: Any, model: type[Model], wanted: list[int]) -> int | None:
    """Delete as :func:`_delete_where` does, but as a replica (``session_replication_role``), then
    prove the foreign keys: how many rows of ``model`` were deleted, or ``None`` (nothing done)
    where the role may not set that mode, or a table it deletes from or empties a key of has a
    trigger of its own that the mode would pass over, or a key is of several columns.

    PostgreSQL checks a ``NO ACTION`` key with a trigger queued per row deleted and key naming its
    table, about 12 µs each at commit: a purge batch of 20,000 objects and their observables
    queues half a million. As a replica none is queued; instead each key naming a table the
    delete took rows from (read from ``pg_constraint``, so a key no model declares counts too) is
    proved by one statement looking, among the rows left, for one naming a row deleted. Finding
    one raises :class:`~django.db.IntegrityError` and the delete is undone (its savepoint), the
    mode with it. Rows written by others meanwhile are caught too: theirs check the row with a
    ``FOR KEY SHARE`` lock, which the delete's lock waits for or holds off until its commit, and
    the proofs run after the delete, each reading what was committed by then.

    A key the cascade empties by the very values deleted (a dependant of ``model`` keyed by its
    primary key, whose rows naming them it deletes or sets to null) needs no proof: the rows of
    ``model`` are locked ``FOR UPDATE`` before anything is deleted, so another transaction's row
    naming one either committed before the lock (its own check held the row until then), and the
    cascade's later statement, reading what was committed when it starts (``READ COMMITTED``),
    takes it; or its check waits for the lock and fails once the row is gone. Under another
    isolation level a statement reads the transaction's first snapshot, and every key is proved."""
    tables = sorted(_cascade_tables(model))
    written = sorted(set(tables) | _emptied_tables(model))
    cursor.execute(
        "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, f.attname, "
        "cardinality(c.conkey) FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = c.confkey[1] "
        "WHERE c.contype = 'f' AND c.confrelid = ANY(%s::regclass[]) ORDER BY c.conname",
        [tables],
    )
    keys = cursor.fetchall()
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'O' "
        "AND tgrelid = ANY(%s::regclass[])), current_setting('session_replication_role'), "
        "current_setting('transaction_isolation')",
        [written],
    )
    own_triggers, mode, isolation = cursor.fetchone()
    unusual = any(width > 1 or referenced not in tables for _, _, referenced, _, width in keys)  # names as written
    if own_triggers or unusual or not may_write_as_replica(cursor):
        return None
    root, pk = model._meta.db_table, str(model._meta.pk.column)
    gone: dict[str, dict[str, list[Any]]] = {}  # the values deleted of each column a key names
    for _, _, referenced, column, _ in keys:
        if (referenced, column) != (root, pk):
            gone.setdefault(referenced, {})[column] = []
    locking = isolation == "read committed"
    emptied = _emptied_by_key(model) if locking else set()
    quote = connection.ops.quote_name
    key = quote(pk)
    with transaction.atomic(), by_index():
        any_of, param = array_param(wanted)
        params = [param]
        if locking:  # before anything is deleted: see the docstring
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {quote(root)} WHERE {key} {any_of} FOR UPDATE) locked",  # noqa: S608
                params,
            )
        cursor.execute("SET LOCAL session_replication_role = replica")
        deleted = _delete_where(cursor, model, f"{key} {any_of}", params, any_of, gone)
        cursor.execute("SELECT set_config('session_replication_role', %s, true)", [mode])
        for source, column, referenced, target, _ in keys:
            if (referenced, target) == (root, pk):
                if (source, column) not in emptied:
                    _prove(cursor, source, column, any_of, params)
            elif values := gone[referenced][target]:
                any_values, param = array_param(values)
                _prove(cursor, source, column, any_values, [param])
    return deleted


def _prove(cursor: Any, table: str, column: str, any_of: str, params: list[Any]) -> None:
    """Raise unless no row of ``table`` names in ``column`` one of the values deleted (those the
    condition ``any_of`` chooses)."""
    quote = connection.ops.quote_name
    cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} {any_of} LIMIT 1", params)  # noqa: S608
    found = cursor.fetchone()
    if found is not None:
        raise IntegrityError(
            f"{table}.{column} = {found[0]} names a row this delete takes, and nothing deletes it with "
            "that row: nothing is deleted."
        )


def _emptied_by_key(model: type[Model]) -> set[tuple[str, str]]:
    """(table, column) of each key naming ``model``'s primary key whose rows naming the values
    deleted the cascade deletes or empties by that column (:func:`_delete_where`'s ``on_pk``)."""
    return {
        (child._meta.db_table, key.column)
        for child, key in _dependants(model)
        if key.target_field == model._meta.pk and key.remote_field.on_delete in (CASCADE, SET_NULL)
    }


def _cascade_tables(model: type[Model]) -> set[str]:
    """The tables a delete of ``model``'s rows deletes from: its own and its cascades'."""
    found = {model._meta.db_table}
    for child, key in _dependants(model):
        if key.remote_field.on_delete is CASCADE and child._meta.db_table not in found:
            found |= _cascade_tables(child)
    return found


def _emptied_tables(model: type[Model]) -> set[str]:
    """The tables a delete of ``model``'s rows updates (``SET_NULL``), through its cascades."""
    found: set[str] = set()
    for child, key in _dependants(model):
        if key.remote_field.on_delete is SET_NULL:
            found.add(child._meta.db_table)
        elif key.remote_field.on_delete is CASCADE and child is not model:
            found |= _emptied_tables(child)
    return found


def _dependants(model: type[Model]) -> Iterator[tuple[type[Model], Any]]:
    """Each model with a foreign key to ``model`` (a many-to-many's own table included), and the key."""
    for relation in model._meta.get_fields(include_hidden=True):
        if isinstance(relation, ForeignObjectRel) and (relation.one_to_many or relation.one_to_one):
            yield relation.related_model, relation.field


def _refuse_protected(model: type[Model], path: tuple[type[Model], ...]) -> None:
    """Raise when a relation under ``model`` protects it, or cascades back into its own path."""
    for child, key in _dependants(model):
        rule = key.remote_field.on_delete
        if rule in (PROTECT, RESTRICT) or (rule is CASCADE and child in (*path, model)):
            raise ValueError(f"{child._meta.label}.{key.name} holds on to {model._meta.label}: delete through the ORM")
        if rule is CASCADE:
            _refuse_protected(child, (*path, model))


def _delete_where(
    cursor: Any,
    model: type[Model],
    where: str,
    params: list[Any],
    on_pk: str = "",
    gone: dict[str, dict[str, list[Any]]] | None = None,
) -> int:
    """Delete the rows of ``model`` matching ``where`` and what depends on them; ``on_pk``, when
    ``where`` is a condition on the primary key alone (``= ANY(%s)``, ``IN (…)``), lets a
    dependant keyed by that primary key be chosen by its own column directly, without a join.
    ``gone`` names, per table, columns whose deleted values are added to it."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    for child, key in _dependants(model):
        rule, column = key.remote_field.on_delete, quote(key.column)
        if on_pk and key.target_field == model._meta.pk:
            condition, own = f"{column} {on_pk}", on_pk if child._meta.pk == key else ""
        else:
            chosen = f"SELECT {quote(key.target_field.column)} FROM {table} WHERE {where}"  # noqa: S608 - model names
            condition, own = f"{column} IN ({chosen})", ""
        if rule is CASCADE:
            _delete_where(cursor, child, condition, params, own, gone)
        elif rule is SET_NULL:
            emptied = quote(child._meta.db_table)
            cursor.execute(f"UPDATE {emptied} SET {column} = NULL WHERE {condition}", params)  # noqa: S608
    wanted = (gone or {}).get(model._meta.db_table, {})
    returning = f" RETURNING {', '.join(quote(c) for c in wanted)}" if wanted else ""
    cursor.execute(f"DELETE FROM {table} WHERE {where}{returning}", params)  # noqa: S608
    count = max(int(cursor.rowcount), 0)
    if wanted:
        for row in cursor.fetchall():
            for value, found in zip(row, wanted.values(), strict=True):
                found.append(value)
    return count
