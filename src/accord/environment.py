"""Reading Accord's ``ACCORD_*`` environment variables for the settings: flags, lists, rates
checked at start, and the secret key (generated once into ``$ACCORD_HOME`` when not given)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

__all__ = ["env_list", "flag", "rate", "secret_key"]


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


_RATE = re.compile(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", re.IGNORECASE)


def rate(name: str, default: str, *, may_be_empty: bool = False) -> str:
    """A rate setting, ``"<count>/<second|minute|hour|day>"`` (accord.core.ratelimit.parse_rate),
    refused at start when malformed rather than at the first request it would limit."""
    value = os.environ.get(name, default).strip()
    if (value or not may_be_empty) and not _RATE.fullmatch(value.replace(" ", "")):
        raise ImproperlyConfigured(
            f"{name}: {value!r} is not a rate such as 600/minute (a count per second, minute, hour or day)."
        )
    return value


def secret_key(home: Path) -> str:
    """The secret key from the environment, else one generated once into ``$ACCORD_HOME``."""
    if key := os.environ.get("ACCORD_SECRET_KEY"):
        return key
    path = home / "secret_key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once cannot both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()
