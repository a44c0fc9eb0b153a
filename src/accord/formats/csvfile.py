"""CSV with a header: ``type,value`` at least; optional ``tlp``, ``first_seen``, ``last_seen``,
``description``, ``crime_type``. Each row becomes a STIX 2.1 indicator for its observable."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from django.utils.dateparse import parse_date, parse_datetime

from accord.formats.base import ParsedObject, Reader, ReadError, Unreadable, register
from accord.formats.choices import ObservableType
from accord.formats.markings import tlp_label
from accord.formats.observables import pattern_for

__all__ = ["FORMULA_STARTS", "CsvReader", "csv_value"]

REQUIRED_COLUMNS = ("type", "value")
OPTIONAL_COLUMNS = ("tlp", "first_seen", "last_seen", "description", "crime_type")
ALIASES = {
    "ip": "ipv4",
    "ip-dst": "ipv4",
    "ip-src": "ipv4",
    "hostname": "domain",
    "email-src": "email",
    "sha-256": "sha256",
    "sha-1": "sha1",
    "bitcoin": "btc",
    "ethereum": "eth",
    "phone-number": "phone",
}


# How a cell a spreadsheet would take for a formula starts (OWASP, "CSV Injection"). Accord's CSV
# export writes such a cell after an apostrophe, which spreadsheets read as "text follows"
# (accord.formats.writers.csv_cell), and this reader removes it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_value(cell: str) -> str:
    """A cell as its writer meant it: the apostrophe a CSV export puts before ``=``, ``+``, ``-``,
    ``@``, tab or carriage return, so that spreadsheets take the cell for text, is removed."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def _stamp(value: str) -> datetime | None:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@register
class CsvReader(Reader):
    format = "csv"
    label = "CSV (type,value,…)"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        first = head.lstrip(codecs.BOM_UTF8).split(b"\n", 1)[0].lower()
        columns = [c.strip().strip('"') for c in first.decode("utf-8", "replace").split(",")]
        return "type" in columns and "value" in columns

    def read(self, stream: IO[bytes]) -> Iterator[ParsedObject | ReadError]:
        text = codecs.getreader("utf-8-sig")(stream)
        rows = csv.reader(text)
        try:
            header = [column.strip().lower() for column in next(rows)]
        except StopIteration:
            yield Unreadable("line 1", "header", "the file is empty; expected a header with type,value")
            return
        except UnicodeDecodeError as exc:
            yield Unreadable("line 1", "encoding", f"not UTF-8 text: {exc}")
            return
        allowed = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
        unknown = [column for column in header if column not in allowed]
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if unknown or missing:
            problem = f"unknown column '{unknown[0]}'" if unknown else f"missing column '{missing[0]}'"
            yield Unreadable(
                "line 1", "header", f"{problem}; columns: type, value (required), {', '.join(OPTIONAL_COLUMNS)}"
            )
            return
        now = _iso(datetime.now(tz=UTC))
        try:
            for number, row in enumerate(rows, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                cells = (csv_value(cell.strip()) for cell in row)
                yield self._row(f"line {number}", dict(zip(header, cells, strict=False)), now)
        except UnicodeDecodeError as exc:  # the file cannot be read on from here
            yield Unreadable(f"line {rows.line_num + 1}", "encoding", f"not UTF-8 text: {exc}")
        except csv.Error as exc:
            yield Unreadable(f"line {rows.line_num}", "csv", str(exc))

    def _row(self, where: str, row: dict[str, str], now: str) -> ParsedObject | ReadError:
        kind = ALIASES.get(row.get("type", "").lower(), row.get("type", "").lower())
        if kind not in ObservableType.values:
            return ReadError(
                where, "type", f"'{row.get('type', '')}' is not one of: {', '.join(ObservableType.values)}"
            )
        found = self.mention(where, "value", kind, row.get("value", ""))
        if isinstance(found, ReadError):
            return found
        tlp = None
        if row.get("tlp"):
            tlp = tlp_label(row["tlp"])
            if tlp is None:
                return ReadError(
                    where, "tlp", f"'{row['tlp']}' is not a TLP label (clear, green, amber, amber+strict, red)"
                )
        stamps: dict[str, datetime] = {}
        for column in ("first_seen", "last_seen"):
            if row.get(column):
                moment = _stamp(row[column])
                if moment is None:
                    return ReadError(where, column, f"'{row[column]}' is not an ISO 8601 date or date-time")
                stamps[column] = moment
        if "first_seen" in stamps and "last_seen" in stamps and stamps["last_seen"] < stamps["first_seen"]:
            return ReadError(where, "last_seen", "comes before first_seen")
        indicator: dict[str, Any] = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": self.mint_id("indicator", f"{found.type}:{found.value}"),
            "created": now,
            "modified": now,
            "name": f"{found.type} {found.value}",
            "pattern": pattern_for(found.type, found.value),
            "pattern_type": "stix",
            "valid_from": _iso(stamps["first_seen"]) if "first_seen" in stamps else now,
        }
        if "last_seen" in stamps:
            indicator["valid_until"] = _iso(stamps["last_seen"])
        if row.get("description"):
            indicator["description"] = row["description"]
        if row.get("crime_type"):
            indicator["labels"] = [row["crime_type"]]
        return ParsedObject(where=where, stix=indicator, mentions=[found], tlp=tlp)
