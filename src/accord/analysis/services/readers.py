"""Partners' kept rows brought up to date by the worker after the changes a read cannot follow.

A partner's campaigns and correlations are kept per reader and brought up to date on its next
read (:mod:`accord.analysis.reader_inputs`): from the versions and values a change names, in tens
of milliseconds, or from everything the reader sees, seconds at a million objects, after a change
to what whole organisations see (an agreement's or an organisation's change, an agreement's
window opening or ending) and on a reader's very first read. So that no partner's page pays for
the second, every worker round (``ACCORD_ROUND_JOBS``):

- reads the store's facts those changes move (one query); when they moved since the round
  before, the readers who read in the last ``RECENT`` (signed in, or used an API token) are
  brought up to date, most recent first;
- computes ahead the rows of the readers who have none yet (an account made or a sign-in within
  ``RECENT``: a partner's first page after onboarding), before any other;

as many as a round's ``BUDGET`` allows (at least one), the rest in the rounds after; a reader
whose computation fails is logged and left until the facts move. What the
worker computed does not count as a read: a reader who stops reading is let go after
``RECENT``. A reader who reads before the worker reaches it brings its own rows up to date as
before, and the worker then finds them current. Each worker process keeps its own account; two
workers do the same readers, and the second finds them current.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accord.analysis.models import ReaderCampaignState, ReaderCorrelationState
from accord.analysis.reader_campaigns import reader_campaigns_refresh
from accord.analysis.reader_correlations import reader_correlations_refresh
from accord.analysis.reader_inputs import store_facts
from accord.core.models import User
from accord.policy import principal_context

__all__ = ["readers_keep_up"]

logger = logging.getLogger(__name__)

# Readers whose rows the worker brings up to date: those who read within this time, or whose
# account was made within it.
RECENT = timedelta(days=14)
# A round's time for it, after the first reader (a reader computed from everything takes
# seconds at a million objects; the round's other jobs wait for it).
BUDGET = 2.0


@dataclass
class _Account:
    """What this process last saw of the store's facts, the readers still to do, and those whose
    rows could not be computed (not tried again before the facts move)."""

    facts: str | None = None
    due: list[int] = field(default_factory=list)
    failed: set[int] = field(default_factory=set)


_ACCOUNT = _Account()


def _recent_readers(since: datetime, *, without_rows: bool = False) -> list[int]:
    """The partners' readers who read since ``since`` (signed in or used an API token), or whose
    account was made since, most recent first (``without_rows``: only those with no kept rows)."""
    readers = User.objects.filter(is_active=True, organisation__is_host=False).filter(
        Q(last_login__gte=since) | Q(date_joined__gte=since) | Q(api_tokens__last_used_at__gte=since)
    )
    if without_rows:
        readers = readers.exclude(
            Exists(ReaderCampaignState.objects.filter(reader=OuterRef("pk")))
            & Exists(ReaderCorrelationState.objects.filter(reader=OuterRef("pk")))
        )
    latest = readers.values("pk").annotate(
        at=Greatest(Coalesce("last_login", "date_joined"), Coalesce(Max("api_tokens__last_used_at"), "date_joined"))
    )
    return [pk for pk, _ in sorted(latest.values_list("pk", "at"), key=lambda row: (row[1], row[0]), reverse=True)]


def readers_keep_up() -> int:
    """The worker's round job: compute the rows of the recent readers who have none, and when
    the store's facts that no change records moved, bring the kept rows of the readers who read
    recently up to date (some each round, within ``BUDGET``). How many readers it brought up to
    date this round."""
    now = timezone.now()
    facts = store_facts(now)
    if facts != _ACCOUNT.facts:
        _ACCOUNT.facts, _ACCOUNT.due = facts, _recent_readers(now - RECENT)
        _ACCOUNT.failed.clear()
    first = [reader for reader in _recent_readers(now - RECENT, without_rows=True) if reader not in _ACCOUNT.failed]
    chosen = set(first)
    _ACCOUNT.due = first + [reader for reader in _ACCOUNT.due if reader not in chosen]
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
            _ACCOUNT.failed.add(reader.pk)
        done += 1
    return done
