"""The one place detection exports ask whether a value is known to be benign.

Suricata and Snort rules, RPZ zones and blocklists leave out values that would only block or
alert on harmless things (public resolvers, top sites, cloud ranges: the MISP warning lists,
once the analysis app brings them). That app registers its check at start-up::

    from accord.exports.benign import register_benign_check
    register_benign_check(lambda kind, value: "list: Top 1000 sites" if ... else None)

A check answers a short reason (a warning list's name) or ``None``. With no check registered,
nothing is left out.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["BenignCheck", "known_benign", "register_benign_check", "unregister_benign_check"]

BenignCheck = Callable[[str, str], str | None]
_CHECKS: list[BenignCheck] = []


def register_benign_check(check: BenignCheck) -> None:
    """Add a check consulted by every detection export (idempotent for the same function)."""
    if check not in _CHECKS:
        _CHECKS.append(check)


def unregister_benign_check(check: BenignCheck) -> None:
    """Stop consulting ``check``."""
    if check in _CHECKS:
        _CHECKS.remove(check)


def known_benign(observable_type: str, value: str) -> str | None:
    """Why ``value`` (a canonical observable of ``observable_type``) is known to be benign, or
    ``None`` when no registered check says so."""
    for check in _CHECKS:
        reason = check(observable_type, value)
        if reason:
            return reason
    return None
