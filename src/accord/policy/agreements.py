"""Agreements as the policy reads them: every row's state in one query per asker, the instances
kept per process by that state.

Every read of shared data consults agreements: the reader's own (rule 1), the originators' that
permit it (rule 3, in SQL) and those of the objects it receives (rule 3, ``decide``). Their rows
change seldom and only through the partners' services, which give an agreement a new version in
force or a new ``updated_at`` on every change. So one plain query reads the state of every row,
``(id, version in force, last change)``, once for the asker's context
(:meth:`accord.policy.PrincipalContext.agreements`: a request, a task), and every rule of that
context reads the agreements from it; the instances built for a row's state (terms decoded, what
the policy consulted cached on them) are reused while it is unchanged, and what is derived from
all of them (which agreements permit which recipient) while no row changed. An amendment,
suspension or termination counts from the next context on, in every process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import connection

from accord.partners.models import Agreement

__all__ = ["AgreementStates", "agreement_states"]

_KEPT: dict[tuple[Any, ...], Agreement] = {}
_KEPT_AT_MOST = 4096

T = TypeVar("T")


class AgreementStates:
    """Every agreement, each with its version in force, as one read of the rows' states found
    them. Treat the instances as read-only: they are shared by the reads of this process."""

    __slots__ = ("_derived", "by_id", "rows")

    def __init__(self, rows: tuple[tuple[Any, ...], ...], by_id: dict[int, Agreement]) -> None:
        self.rows = rows  # (id, version in force, last change) of every agreement, by id
        self.by_id = by_id
        self._derived: dict[Any, Any] = {}

    def among(self, ids: Iterable[int]) -> dict[int, Agreement]:
        """The agreements ``ids`` that the read found, by id."""
        return {pk: self.by_id[pk] for pk in ids if pk in self.by_id}

    def with_terms(self) -> dict[int, Agreement]:
        """The agreements with terms in force, by id."""
        return self.derived("with terms", lambda: {pk: a for pk, a in self.by_id.items() if a.current_version_id})

    def derived(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()``, kept under ``key`` for as long as no agreement's row changes: ``key``
        must name everything ``compute`` reads besides these agreements."""
        try:
            found: T = self._derived[key]
        except KeyError:
            found = self._derived[key] = compute()
        return found


_LAST: list[AgreementStates] = []


def agreement_states() -> AgreementStates:
    """Read every agreement's row state (one query) and the agreements as they are in it."""
    table = connection.ops.quote_name(Agreement._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, current_version_id, updated_at FROM {table} ORDER BY id")  # noqa: S608
        rows = tuple(tuple(row) for row in cursor.fetchall())
    last = _LAST[0] if _LAST else None
    if last is not None and last.rows == rows:  # nothing changed since the last read: the same
        return last
    found = {row[0]: _KEPT.get(row) for row in rows}
    missing = [pk for pk, agreement in found.items() if agreement is None]
    if missing:
        loaded = Agreement.objects.select_related("current_version").in_bulk(missing)
        if len(_KEPT) + len(loaded) > _KEPT_AT_MOST:
            _KEPT.clear()
        keys = {row[0]: row for row in rows}
        for pk, agreement in loaded.items():
            _KEPT[keys[pk]] = found[pk] = agreement
    states = AgreementStates(rows, {pk: a for pk, a in found.items() if a is not None})
    _LAST[:] = [states]
    return states
