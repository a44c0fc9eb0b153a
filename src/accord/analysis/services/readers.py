"""Partners' kept rows brought up to date by the worker after the changes a read cannot follow.

A partner's campaigns and correlations are kept per reader and brought up to date on its next
read (:mod:`accord.analysis.reader_inputs`): from the versions and values a change names, in tens
of milliseconds, or from everything the reader sees, seconds at a million objects, after a change
to what whole organisations see (an agreement's or an organisation's change, an agreement's
window opening or ending). So that no partner's page pays for the second, every worker round
(``ACCORD_ROUND_JOBS``) reads the store's facts those changes move (one query); when they moved
since the round before, the readers who read in the last ``RECENT`` are brought up to date, most
recent first, as many as a round's ``BUDGET`` allows (at least one) and the rest in the rounds
after. A reader who reads before the worker reaches it brings its own rows up to date as before,
and the worker then finds them current. Each worker process keeps its own account; two workers
do the same readers, and the second finds them current.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from accord.analysis.models import ReaderCampaignState, ReaderCorrelationState
from accord.analysis.reader_campaigns import reader_campaigns_refresh
from accord.analysis.reader_correlations import reader_correlations_refresh
from accord.analysis.reader_inputs import store_facts
from accord.core.models import User
from accord.policy import principal_context

__all__ = ["readers_keep_up"]

logger = logging.getLogger(__name__)

# Readers whose rows the worker brings up to date: those who read within this time.
RECENT = timedelta(days=14)
# A round's time for it, after the first reader (a reader computed from everything takes
# seconds at a million objects; the round's other jobs wait for it).
BUDGET = 2.0


@dataclass
class _Account:
    """What this process last saw of the store's facts, and the readers still to do."""

    facts: str | None = None
    due: list[int] = field(default_factory=list)


_ACCOUNT = _Account()


def _recent_readers() -> list[int]:
    """The readers whose rows were brought up to date within ``RECENT``, most recent first."""
    since = timezone.now() - RECENT
    latest: dict[int, datetime] = {}
    for state in (ReaderCampaignState, ReaderCorrelationState):
        for reader, at in state.objects.filter(refreshed_at__gte=since).values_list("reader_id", "refreshed_at"):
            latest[reader] = max(at, latest.get(reader, at))
    active = set(User.objects.filter(pk__in=latest, is_active=True).values_list("pk", flat=True))
    return sorted(active, key=lambda reader: latest[reader], reverse=True)


def readers_keep_up() -> int:
    """The worker's round job: when the store's facts that no change records moved, bring the
    kept rows of the readers who read recently up to date (some each round, within ``BUDGET``).
    How many readers it brought up to date this round."""
    facts = store_facts(timezone.now())
    if facts != _ACCOUNT.facts:
        _ACCOUNT.facts, _ACCOUNT.due = facts, _recent_readers()
    done, start = 0, time.monotonic()
    while _ACCOUNT.due and (done == 0 or time.monotonic() - start < BUDGET):
        reader = User.objects.filter(pk=_ACCOUNT.due.pop(0), is_active=True).select_related("organisation").first()
        if reader is None:
            continue
        ctx = principal_context(reader)
        try:
            reader_campaigns_refresh(reader, ctx)
            reader_correlations_refresh(reader, ctx)
        except Exception:  # noqa: BLE001 - one reader's failure stops no other's; its next read tries again
            logger.exception("the kept rows of reader %s could not be brought up to date", reader.pk)
        done += 1
    return done
