"""The trends as time series for the trends page's charts, and the same figures as tables: every
month of the period on the time axis, objects by month × crime type × region, new campaigns per
month (from :func:`accord.analysis.selectors.trends`, which reads through the policy)."""

from __future__ import annotations

from typing import Any

from accord.core.choices import Region

__all__ = ["MONTHS_SHOWN", "trend_series"]

MONTHS_SHOWN = 120  # on a chart's time axis


def _months(since: Any, until: Any) -> list[str]:
    """Every month of the period, ``2026-01`` …, so that a month with nothing is on the time axis."""
    months: list[str] = []
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month) and len(months) < MONTHS_SHOWN:
        months.append(f"{year:04}-{month:02}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _pivot(rows: list[dict[str, Any]], months: list[str], key: str) -> tuple[list[str], list[list[int]]]:
    """Counts by month × ``key`` (the series, largest first): the series names, and a row of
    counts per month in the order of ``months``."""
    totals: dict[str, int] = {}
    cells: dict[tuple[str, str], int] = {}
    for row in rows:
        totals[row[key]] = totals.get(row[key], 0) + row["count"]
        cells[row["month"], row[key]] = cells.get((row["month"], row[key]), 0) + row["count"]
    series = sorted(totals, key=lambda name: (-totals[name], name))
    return series, [[cells.get((month, name), 0) for name in series] for month in months]


def trend_series(data: dict[str, Any], since: Any, until: Any) -> dict[str, Any]:
    """The trends as time series for the charts (month × crime type × region, drawn by Chart.js
    in the browser from ``trends_series``) and the same figures as tables (``*_table``)."""
    months = _months(since, until)
    regions = dict(Region.choices)
    rows = [
        {
            "month": row["month"],
            "crime": row["crime_label"] or "unclassified",
            "region": regions.get(row["region"], row["region"] or "unknown region"),
            "count": row["count"],
        }
        for row in data["by_crime_region_month"]
    ]
    crimes, crime_cells = _pivot(rows, months, "crime")
    region_names, region_cells = _pivot(rows, months, "region")
    campaigns = {row["month"]: row["count"] for row in data["new_campaigns"]}
    return {
        "trends_series": {
            "months": months,
            "rows": rows,
            "campaigns": [campaigns.get(month, 0) for month in months],
        },
        "crime_table": {"series": crimes, "rows": list(zip(months, crime_cells, strict=True))},
        "region_table": {"series": region_names, "rows": list(zip(months, region_cells, strict=True))},
        "campaign_table": [(month, campaigns.get(month, 0)) for month in months],
        "chart_regions": region_names,
    }
