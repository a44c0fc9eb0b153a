"""Known-benign values: the MISP warning lists and the programme's local exclusion lists.

A known-benign value never correlates, never links objects into a campaign and never goes into
a detection export; wherever it is shown, the list that named it is shown with it. The
exports app asks through :func:`accord.exports.benign.known_benign`, which this module answers
(registered when the app starts).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from accord.analysis.models import Correlation, ExclusionEntry
from accord.analysis.reader_inputs import record_reflagged
from accord.analysis.rewrite import update_rows
from accord.analysis.warninglists import host_of, index
from accord.sharing.bulk import select_in
from accord.sharing.models import Observable

__all__ = [
    "LocalExclusions",
    "flag_correlations",
    "forget_local_exclusions",
    "known_benign",
    "local_exclusions",
    "reasons",
    "reasons_for_ids",
]

_OBSERVABLES = Observable._meta.db_table
_CORRELATIONS = Correlation._meta.db_table
# How long a process trusts its copy of the local lists when another process may have changed them.
_LOCAL_TTL = 5.0


@dataclass
class LocalExclusions:
    """The local lists compiled for lookups: exact values, networks, domain suffixes."""

    exact: dict[tuple[str, str], str] = field(default_factory=dict)
    networks: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = field(default_factory=list)
    suffixes: dict[tuple[str, str], str] = field(default_factory=dict)
    loaded_at: float = 0.0

    def match(self, kind: str, value: str) -> str | None:
        reason = self.exact.get((kind, value))
        if reason:
            return reason
        if kind in {"ipv4", "ipv6"} and self.networks:
            if "/" in value:  # a network block (kept CIDR): benign when it lies inside a benign network
                block = ipaddress.ip_network(value)
                for network_kind, network, name in self.networks:
                    if network_kind == kind and block.subnet_of(network):  # type: ignore[arg-type]
                        return name
            else:
                address = ipaddress.ip_address(value)
                for network_kind, network, name in self.networks:
                    if network_kind == kind and address in network:
                        return name
        host = host_of(kind, value)
        if host and self.suffixes:
            labels = host.split(".")
            for start in range(len(labels)):
                suffix = self.suffixes.get((kind, ".".join(labels[start:])))
                if suffix:
                    return suffix
        return None


_LOCAL = LocalExclusions()


def local_exclusions() -> LocalExclusions:
    """This process's compiled copy of the local lists, reloaded when older than a few seconds."""
    global _LOCAL  # noqa: PLW0603 - one copy per process
    if time.monotonic() - _LOCAL.loaded_at > _LOCAL_TTL:
        compiled = LocalExclusions(loaded_at=time.monotonic())
        for kind, pattern, name in ExclusionEntry.objects.values_list("type", "pattern", "exclusion_list__name"):
            reason = f"Local list: {name}"
            if pattern.startswith("*."):
                compiled.suffixes.setdefault((kind, pattern[2:]), reason)
            elif "/" in pattern and kind in {"ipv4", "ipv6"}:
                compiled.networks.append((kind, ipaddress.ip_network(pattern), reason))
            else:
                compiled.exact.setdefault((kind, pattern), reason)
        _LOCAL = compiled
    return _LOCAL


def forget_local_exclusions() -> None:
    """Make the next lookup read the local lists again (after a change in this process)."""
    _LOCAL.loaded_at = 0.0


def reasons(kind: str, values: Iterable[str]) -> dict[str, str]:
    """The values of one type that a local list or a warning list names, with the list's name."""
    wanted = list(values)
    local = local_exclusions()
    found = {value: reason for value in wanted if (reason := local.match(kind, value))}
    rest = [value for value in wanted if value not in found]
    if rest:
        found.update((value, f"Warning list: {name}") for value, name in index().match_many(kind, rest).items())
    return found


def known_benign(kind: str, value: str) -> str | None:
    """Why one canonical value is known to be benign, or ``None`` (the exports' check)."""
    return reasons(kind, [value]).get(value)


def reasons_for_ids(observables: Iterable[int]) -> dict[int, str]:
    """Known-benign reasons for observables given by id."""
    by_type: dict[str, dict[str, int]] = {}
    for pk, kind, value in select_in(
        f"SELECT id, type, value FROM {_OBSERVABLES} WHERE id IN ({{}})",  # noqa: S608
        (),
        sorted(observables),
    ):
        by_type.setdefault(kind, {})[value] = pk
    found: dict[int, str] = {}
    for kind, ids in by_type.items():
        for value, reason in reasons(kind, ids).items():
            found[ids[value]] = reason
    return found


def flag_correlations(observables: Iterable[int] | None = None, *, table: str = _CORRELATIONS) -> int:
    """Set the known-benign reason of every correlation row (or of ``observables``'); the number
    now flagged among them. ``table`` is where the rows are (a rebuild's new rows, staged)."""
    if observables is not None:
        wanted = sorted(observables)
        found = reasons_for_ids(wanted)
        with connection.cursor() as cursor:
            changes = [(found.get(pk, "")[:200], pk) for pk in wanted]
            cursor.executemany(f"UPDATE {_CORRELATIONS} SET benign = %s WHERE observable_id = %s", changes)  # noqa: S608
        record_reflagged(wanted)  # what partners' kept rows follow it by
        return len(found)
    by_type: dict[str, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.id, o.type, o.value FROM {table} c JOIN {_OBSERVABLES} o ON o.id = c.observable_id"  # noqa: S608
        )
        while rows := cursor.fetchmany(50000):
            for pk, kind, value in rows:
                by_type.setdefault(kind, {})[value] = pk
        found = {ids[value]: reason for kind, ids in by_type.items() for value, reason in reasons(kind, ids).items()}
        cursor.execute(f"UPDATE {table} SET benign = '' WHERE benign <> ''")  # noqa: S608
    update_rows(table, "observable_id", ["benign"], [(reason[:200], pk) for pk, reason in found.items()])
    return len(found)
