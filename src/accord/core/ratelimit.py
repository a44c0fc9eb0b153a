"""Fixed-window rate limits kept in the shared cache (the database by default), so every
worker and host counts together."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

__all__ = ["client_ip", "parse_rate", "rate_limit_hit"]

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
