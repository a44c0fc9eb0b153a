"""Fixed-window rate limits kept in the shared cache (the database by default), so every
worker and host counts together."""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

__all__ = ["client_ip", "login_failed", "login_locked", "login_succeeded", "parse_rate", "rate_limit_hit"]

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def client_ip(request: Any) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``ACCORD_TRUSTED_PROXIES`` reverse
    proxies the address the outermost trusted proxy saw. A client cannot choose it by sending
    its own ``X-Forwarded-For``."""
    proxies = settings.ACCORD_TRUSTED_PROXIES
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/hour"`` → ``(10, 3600)``."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def _bucket(scope: str, ident: str, window: int) -> tuple[str, int]:
    """The key of the current window's counter, and the seconds it has left."""
    now = time.time()
    start = int(now // window) * window
    return f"ratelimit:{scope}:{ident}:{start}", max(1, math.ceil(start + window - now))


def _hits(scope: str, ident: str, window: int) -> int:
    key, _ = _bucket(scope, ident, window)
    return int(cache.get(key, 0))


def _hit(scope: str, ident: str, window: int) -> int:
    """Count one hit in the current window; the window's count. The counter lives exactly until
    its window ends (``incr`` alone would give it the cache's default lifetime)."""
    key, left = _bucket(scope, ident, window)
    cache.add(key, 0, timeout=left)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=left)
        return 1
    cache.touch(key, timeout=left)
    return hits


def rate_limit_hit(scope: str, ident: str, rate: str) -> bool:
    """Count one hit; ``True`` while the client is within ``rate``, ``False`` once over it."""
    limit, window = parse_rate(rate)
    return _hit(scope, ident, window) <= limit


# -- sign-in failures ---------------------------------------------------------------------------


def _login_limits() -> tuple[tuple[str, int, int], tuple[str, int, int]]:
    per_account = parse_rate(settings.ACCORD_LOGIN_FAILURES_PER_ACCOUNT)
    per_address = parse_rate(settings.ACCORD_LOGIN_FAILURES_PER_ADDRESS)
    return ("login-account", *per_account), ("login-address", *per_address)


def _idents(username: str, address: str) -> tuple[str, str]:
    return username.strip().lower()[:150], address


def login_locked(username: str, address: str) -> bool:
    """Whether sign-in is refused for now: this account, or this address, failed too often in
    the current window (``ACCORD_LOGIN_FAILURES_PER_ACCOUNT`` / ``_PER_ADDRESS``). An unknown
    account name counts like a known one, so the lock tells nobody which names exist."""
    return any(
        _hits(scope, ident, window) >= limit
        for (scope, limit, window), ident in zip(_login_limits(), _idents(username, address), strict=True)
    )


def login_failed(username: str, address: str) -> bool:
    """Count a failed sign-in against the account and the address; whether this failure locked
    either of them (it reached its limit now)."""
    locked = False
    for (scope, limit, window), ident in zip(_login_limits(), _idents(username, address), strict=True):
        locked |= _hit(scope, ident, window) == limit
    return locked


def login_succeeded(username: str) -> None:
    """A right password: the account's failures are forgotten (the address's are not)."""
    (scope, _, window), _ = _login_limits()
    key, _ = _bucket(scope, _idents(username, "")[0], window)
    cache.delete(key)
