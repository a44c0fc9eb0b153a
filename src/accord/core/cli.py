"""What several ``accord`` commands read from their options the same way, with the same
message when it is wrong (``--org``, ``--now``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError
from django.utils.dateparse import parse_datetime

from accord.core.models import Organisation
from accord.core.selectors import organisation_named

__all__ = ["moment_option", "organisation_option"]


def organisation_option(options: dict[str, Any]) -> Organisation:
    """The organisation ``--org`` names (name or short name)."""
    organisation = organisation_named(options["org"])
    if organisation is None:
        raise CommandError(f"--org: no organisation called '{options['org']}'.")
    return organisation


def moment_option(options: dict[str, Any]) -> datetime | None:
    """The moment ``--now`` gives (an ISO 8601 date-time with a time zone), or None for now."""
    if not options.get("now"):
        return None
    now = parse_datetime(options["now"])
    if now is None or now.tzinfo is None:
        raise CommandError(f"--now: '{options['now']}' is not an ISO 8601 date-time with a time zone.")
    return now
