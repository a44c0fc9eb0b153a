"""The trends as time series for the trends page's charts, and the same figures as tables: every
month of the period on the time axis, objects by month × crime type × region, new campaigns per
month (from :func:`accord.analysis.selectors.trends`, which reads through the policy)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from accord.core.choices import Region

__all__ = ["MONTHS_SHOWN", "trend_series"]

MONTHS_SHOWN = 120  # on a chart's time axis


def _months(since: Any, until: Any) -> list[str]:
    """Every month of the period, ``2026-01`` …, so that a month with nothing is on the time
    axis (``until`` is the end of the period, not in it)."""
    months: list[str] = []
    year, month = since.year, since.month
    while datetime(year, month, 1, tzinfo=UTC) < until or not months:
        if len(months) >= MONTHS_SHOWN:
            break
        months.append(f"{year:04}-{month:02}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_words(month: str) -> str:
    """``2026-01`` as ``Jan 2026``."""
    return f"{date(int(month[:4]), int(month[5:7]), 1):%b %Y}"


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


def _table(rows: list[dict[str, Any]], months: list[str], key: str) -> dict[str, Any]:
    series, cells = _pivot(rows, months, key)
    return {"series": series, "rows": list(zip([_month_words(m) for m in months], cells, strict=True))}


def trend_series(data: dict[str, Any], since: Any, until: Any) -> dict[str, Any]:
    """The trends as time series for the charts (month × crime type × region, drawn by Chart.js
    in the browser from ``trends_series``) and the same figures as tables (``*_table``): the
    crime types per month for all regions and for each region (``crime_tables``, one shown at a
    time beside the chart's region selector), all in words (months, regions, crime types)."""
    months = _months(since, until)
    regions = dict(Region.choices)
    rows = [
        {
            "month": row["month"],
            "crime": row["crime_label"],
            "region": regions.get(row["region"], row["region"] or "Unknown region"),
            "count": row["count"],
        }
        for row in data["by_crime_region_month"]
    ]
    region_table = _table(rows, months, "region")
    crime_tables = [{"region": "", "name": "All regions", "table": _table(rows, months, "crime")}]
    crime_tables += [
        {"region": name, "name": name, "table": _table([r for r in rows if r["region"] == name], months, "crime")}
        for name in region_table["series"]
    ]
    campaigns = {row["month"]: row["count"] for row in data["new_campaigns"]}
    return {
        "trends_series": {
            "months": months,
            "labels": [_month_words(month) for month in months],
            "rows": rows,
            "campaigns": [campaigns.get(month, 0) for month in months],
        },
        "crime_table": crime_tables[0]["table"],
        "crime_tables": crime_tables,
        "region_table": region_table,
        "campaign_table": [(_month_words(month), campaigns.get(month, 0)) for month in months],
        "chart_regions": region_table["series"],
    }
