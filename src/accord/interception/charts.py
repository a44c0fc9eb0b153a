"""The report's charts, drawn on the server as SVG bars (no script, no CDN)."""

from __future__ import annotations

from typing import Any

from accord.interception.reports import ReportRow

__all__ = ["report_charts"]


def _bars(title: str, unit: str, values: list[tuple[str, float | None]]) -> dict[str, Any]:
    top = max([v for _, v in values if v is not None] + [0]) or 1
    return {
        "title": title,
        "bars": [
            {
                "label": label,
                "value": "—" if value is None else f"{value:g}{unit}",
                "width": 0 if value is None else max(1, round(100 * value / top)),
            }
            for label, value in values
        ],
    }


def report_charts(rows: list[ReportRow]) -> list[dict[str, Any]]:
    """Requests, median times and the share answered in time, one bar per group."""
    return [
        _bars("Requests", "", [(r.key, float(r.requests)) for r in rows]),
        _bars("Median hours to acknowledge", " h", [(r.key, r.ack_median) for r in rows]),
        _bars("Median hours to a first outcome", " h", [(r.key, r.outcome_median) for r in rows]),
        _bars(
            "Answered in time",
            " %",
            [(r.key, None if r.in_time is None else round(100 * r.in_time, 1)) for r in rows],
        ),
    ]
