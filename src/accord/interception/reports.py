"""Figures of payment interception per month, region, crime type or bank: requests, times to
acknowledge and to a first outcome (median, 90th percentile), amounts frozen and recalled per
currency (never converted), and the share answered in time. Over the requests the reader sees."""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from accord.core.guards import one_of
from accord.core.regions import COUNTRY_REGION
from accord.formats.writers import csv_cell
from accord.interception.choices import OutcomeKind, RequestStatus
from accord.interception.models import InterceptionRequest
from accord.operations.choices import CrimeType

__all__ = ["GROUPINGS", "ReportRow", "report_csv", "report_rows"]

GROUPINGS = ("month", "region", "crime_type", "bank")


@dataclass
class ReportRow:
    """One group's figures; times in hours."""

    key: str
    requests: int = 0
    ack_median: float | None = None
    ack_p90: float | None = None
    outcome_median: float | None = None
    outcome_p90: float | None = None
    in_time: float | None = None
    frozen: dict[str, Decimal] = field(default_factory=dict)
    recalled: dict[str, Decimal] = field(default_factory=dict)


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, -(-9 * len(ordered) // 10) - 1)  # nearest rank
    return round(ordered[rank], 2)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _key(request: InterceptionRequest, by: str) -> str:
    if by == "month":
        return f"{request.raised_at:%Y-%m}"
    if by == "region":
        country = request.account_country or request.requester.country
        return str(COUNTRY_REGION.get(country, "unknown"))
    if by == "crime_type":
        return str(CrimeType(request.crime_type).label)
    return request.bank_name or request.exchange or request.addressee.name


def report_rows(requests: QuerySet[InterceptionRequest], *, by: str) -> list[ReportRow]:
    """The figures of ``requests`` (withdrawn ones left out) grouped ``by`` one of :data:`GROUPINGS`."""
    one_of("by", by, _Groupings)
    groups: dict[str, list[InterceptionRequest]] = defaultdict(list)
    rows = requests.exclude(status=RequestStatus.WITHDRAWN).select_related("requester", "addressee")
    for request in rows.prefetch_related("outcomes"):
        groups[_key(request, by)].append(request)
    found = []
    for key in sorted(groups):
        members = groups[key]
        acks = [(r.acknowledged_at - r.raised_at).total_seconds() / 3600 for r in members if r.acknowledged_at]
        firsts = [(r.first_outcome_at - r.raised_at).total_seconds() / 3600 for r in members if r.first_outcome_at]
        timely = [r.first_outcome_at is not None and r.first_outcome_at <= r.outcome_due for r in members]
        row = ReportRow(
            key=key,
            requests=len(members),
            ack_median=_median(acks),
            ack_p90=_p90(acks),
            outcome_median=_median(firsts),
            outcome_p90=_p90(firsts),
            in_time=round(sum(timely) / len(timely), 3) if timely else None,
        )
        for request in members:
            for outcome in request.outcomes.all():
                if outcome.amount is None or outcome.kind not in (OutcomeKind.FROZEN, OutcomeKind.RECALLED):
                    continue
                bucket = row.frozen if outcome.kind == OutcomeKind.FROZEN else row.recalled
                bucket[outcome.currency] = bucket.get(outcome.currency, Decimal(0)) + outcome.amount
        row.frozen = dict(sorted(row.frozen.items()))
        row.recalled = dict(sorted(row.recalled.items()))
        found.append(row)
    return found


class _Groupings:
    values = GROUPINGS


def _amounts(amounts: dict[str, Decimal]) -> str:
    return "; ".join(f"{amount} {currency}" for currency, amount in amounts.items())


def report_csv(rows: list[ReportRow], *, by: str) -> str:
    """The figures as CSV, every text cell neutralised against spreadsheet formulas."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            by,
            "requests",
            "ack_median_h",
            "ack_p90_h",
            "outcome_median_h",
            "outcome_p90_h",
            "in_time",
            "frozen",
            "recalled",
        ]
    )
    for row in rows:
        values: list[Any] = [
            row.key,
            row.requests,
            row.ack_median,
            row.ack_p90,
            row.outcome_median,
            row.outcome_p90,
            row.in_time,
            _amounts(row.frozen),
            _amounts(row.recalled),
        ]
        writer.writerow([csv_cell(str(v)) if v is not None else "" for v in values])
    return out.getvalue()
