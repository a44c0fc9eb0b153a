"""Fixed-window rate limits kept in the shared cache (the database by default), so every
worker and host counts together."""

from __future__ import annotations

from django.core.cache import cache

__all__ = ["parse_rate", "rate_limit_hit"]

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


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/hour"`` → ``(10, 3600)``."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def rate_limit_hit(scope: str, ident: str, rate: str) -> bool:
    """Count one hit; ``True`` while the client is within ``rate``, ``False`` once over it."""
    limit, window = parse_rate(rate)
    key = f"ratelimit:{scope}:{ident}"
    cache.add(key, 0, timeout=window)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        hits = 1
    return hits <= limit
