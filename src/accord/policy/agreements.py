"""Agreements as the policy reads them, kept per process by the state of their row.

Every read of shared data consults agreements: the reader's own (rule 1) and the originators'
(rule 3). Their rows change seldom and only through the partners' services, which give an
agreement a new version in force or a new ``updated_at`` on every change. So one plain query
reads the state of the rows a read needs, ``(id, version in force, last change)``, and the
instances built for that state (terms decoded, what the policy consulted cached on them) are
reused while it is unchanged: an amendment, suspension or termination counts from the next
read on, in every process.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from accord.partners.models import Agreement

__all__ = ["agreements_where"]

_KEPT: dict[tuple[Any, ...], Agreement] = {}
_KEPT_AT_MOST = 4096


def agreements_where(condition: str, params: list[Any]) -> dict[int, Agreement]:
    """The agreements whose row meets ``condition`` (SQL over the agreements table's columns,
    with ``params``), each with its version in force, by id. Treat them as read-only: they are
    shared by the reads of this process."""
    table = connection.ops.quote_name(Agreement._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, current_version_id, updated_at FROM {table} WHERE {condition}", params)  # noqa: S608
        keys = {row[0]: tuple(row) for row in cursor.fetchall()}
    found = {pk: _KEPT.get(key) for pk, key in keys.items()}
    missing = [pk for pk, agreement in found.items() if agreement is None]
    if missing:
        loaded = Agreement.objects.select_related("current_version").in_bulk(missing)
        if len(_KEPT) + len(loaded) > _KEPT_AT_MOST:
            _KEPT.clear()
        for pk, agreement in loaded.items():
            _KEPT[keys[pk]] = found[pk] = agreement
    return {pk: agreement for pk, agreement in found.items() if agreement is not None}
