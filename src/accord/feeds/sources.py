"""Fetching what is new at a remote source, one reader class per kind behind one base.

A source yields :class:`Piece` items: a file to submit (a STIX bundle, a MISP event, a CSV
file in Accord's columns) and the cursor the feed reaches once the ingest has dealt with that
piece (stored it, or refused it, whole or in part). A source that cannot be read raises
:class:`FeedError`, and the feed stays where it was. Sources never touch the database.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, ClassVar

import orjson
import requests
from requests.auth import AuthBase, HTTPBasicAuth
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection, as_pages

from accord.core.choices import Tlp
from accord.feeds.models import FeedKind
from accord.formats.markings import tlp_label, tlp_of_refs

__all__ = ["SOURCES", "FeedError", "Piece", "Source", "csv_mapping_problem"]

TIMEOUT = (10, 120)  # seconds to connect, seconds between bytes
PAGE = 1000  # objects per TAXII request


class FeedError(Exception):
    """The source could not be read, or sent something Accord cannot take; the message says which."""


@dataclass
class Piece:
    """One file to submit, and the feed's cursor once the ingest has dealt with it."""

    name: str
    format: str
    file: IO[bytes]
    cursor: str


class _Credentials(AuthBase):
    """HTTP Basic with a user name, else a Bearer token; remembers the TAXII date headers of
    every response (TAXII 2.1 §3.6: the next pull asks for objects added after the last)."""

    def __init__(self, username: str, token: str) -> None:
        self.username, self.token = username, token
        self.date_added_last = ""

    def __call__(self, request: Any) -> Any:
        if self.username:
            request = HTTPBasicAuth(self.username, self.token)(request)
        elif self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
        request.register_hook("response", self._seen)
        return request

    def _seen(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        last = response.headers.get("X-TAXII-Date-Added-Last", "")
        if last > self.date_added_last:  # RFC 3339 UTC stamps sort as text
            self.date_added_last = last


class Source(ABC):
    """Reads one kind of feed."""

    kind: ClassVar[str]

    def __init__(self, *, url: str, username: str, token: str, collection: str, mapping: dict[str, Any], limit: int):
        self.url = url
        self.collection = collection
        self.mapping = mapping
        self.limit = limit
        self.credentials = _Credentials(username, token)
        self.left_out_red = 0  # objects marked TLP:RED the source sent and were not taken
        self.session = requests.Session()
        self.session.auth = self.credentials

    @abstractmethod
    def pieces(self, cursor: str, progress: Callable[[str], None]) -> Iterator[Piece]:
        """What is new since ``cursor``, oldest first."""

    def download(self, url: str, headers: dict[str, str] | None = None) -> requests.Response:
        """A GET whose body is read into ``response.raw_file`` (a temporary file), at most ``limit`` bytes."""
        try:
            response = self.session.get(url, headers=headers or {}, stream=True, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise FeedError(f"{url}: {exc}") from exc
        with response:
            if response.status_code == 304:
                return response
            if response.status_code != 200:
                raise FeedError(f"{url}: HTTP {response.status_code} {response.reason}")
            spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller
            size = 0
            try:
                for chunk in response.iter_content(1 << 16):
                    size += len(chunk)
                    if size > self.limit:
                        raise FeedError(f"{url}: larger than the {self.limit // (1024 * 1024)} MB a submission may be")
                    spool.write(chunk)
            except requests.RequestException as exc:
                raise FeedError(f"{url}: {exc}") from exc
            spool.seek(0)
            response.raw_file = spool  # type: ignore[attr-defined]
            return response


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}"


def _red(obj: Any) -> bool:
    """Whether a STIX object is marked TLP:RED (2.0 or 1.0)."""
    refs = obj.get("object_marking_refs") if isinstance(obj, dict) else None
    if not isinstance(refs, list):
        return False
    return tlp_of_refs([ref for ref in refs if isinstance(ref, str)]) == Tlp.RED


def _red_tags(item: Any) -> bool:
    """Whether a MISP event or attribute is tagged TLP:RED (``tlp:red``)."""
    tags = item.get("Tag") if isinstance(item, dict) else None
    return isinstance(tags, list) and any(
        isinstance(tag, dict) and tlp_label(str(tag.get("name", ""))) == Tlp.RED for tag in tags
    )


def _without_red(data: bytes) -> tuple[bytes | None, int]:
    """A MISP event without what is tagged TLP:RED, and how many attributes were left out;
    ``None`` for an event tagged RED as a whole. A file that is no MISP event is passed on as it
    is, for the ingest to say what is wrong with it."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data, 0
    event = document.get("Event") if isinstance(document, dict) else None
    if not isinstance(event, dict):
        return data, 0
    attributes = [a for a in event.get("Attribute") or [] if isinstance(a, dict)]
    objects = [o for o in event.get("Object") or [] if isinstance(o, dict)]
    inside = [a for o in objects for a in o.get("Attribute") or [] if isinstance(a, dict)]
    if _red_tags(event):
        return None, len(attributes) + len(inside)
    left_out = sum(_red_tags(a) for a in attributes + inside)
    if not left_out:
        return data, 0
    event["Attribute"] = [a for a in attributes if not _red_tags(a)]
    kept = []
    for misp_object in objects:
        misp_object["Attribute"] = [a for a in misp_object.get("Attribute") or [] if not _red_tags(a)]
        if misp_object["Attribute"]:
            kept.append(misp_object)
    event["Object"] = kept
    return orjson.dumps(document), left_out


class TaxiiSource(Source):
    """A TAXII 2.1 collection, through the OASIS ``taxii2-client``, incremental by ``added_after``,
    every version of every object (``match[version]=all``: by default a server sends only the
    last, and the history would never arrive).

    Objects marked TLP:RED are left out (counted in :attr:`Source.left_out_red`): RED is for the
    people a platform names on it and never travels between platforms; a server that sends it
    sends it by mistake, and it is not stored here."""

    kind = FeedKind.TAXII

    def pieces(self, cursor: str, progress: Callable[[str], None]) -> Iterator[Piece]:
        collection = Collection(_join(self.url, f"collections/{self.collection}/"), auth=self.credentials, verify=True)
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed on in the piece
        bundle_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.url}|{self.collection}|{cursor}")
        spool.write(b'{"type": "bundle", "id": "bundle--' + str(bundle_id).encode() + b'", "objects": [')
        count = size = 0
        try:
            pages = as_pages(collection.get_objects, per_request=PAGE, added_after=cursor or None, version="all")
            for envelope in pages:
                for obj in envelope.get("objects", []):
                    if _red(obj):
                        self.left_out_red += 1
                        continue
                    data = orjson.dumps(obj)
                    size += len(data) + 1
                    if size > self.limit:
                        raise FeedError(f"{collection.url}: more than a submission may hold; pull more often")
                    spool.write(b"," * (count > 0) + data)
                    count += 1
                progress(f"{count} objects")
        except requests.RequestException as exc:
            raise FeedError(f"{collection.url}: {exc}") from exc
        except (TAXIIServiceException, ValueError, KeyError) as exc:  # what is not a TAXII 2.1 answer
            raise FeedError(f"{collection.url}: not a usable TAXII 2.1 answer ({exc})") from exc
        spool.write(b"]}")
        spool.seek(0)
        if count:
            yield Piece(f"{self.collection}.json", "stix", spool, self.credentials.date_added_last or cursor)


class MispSource(Source):
    """A MISP feed in its published layout: ``manifest.json`` and ``<uuid>.json`` per event,
    incremental by event timestamp. What is tagged ``tlp:red`` (an event, or attributes) is
    left out and counted, as from a TAXII server: RED never travels between platforms."""

    kind = FeedKind.MISP

    def pieces(self, cursor: str, progress: Callable[[str], None]) -> Iterator[Piece]:
        manifest_url = _join(self.url, "manifest.json")
        response = self.download(manifest_url)
        try:
            manifest = orjson.loads(response.raw_file.read())  # type: ignore[attr-defined]
        except orjson.JSONDecodeError as exc:
            raise FeedError(f"{manifest_url}: malformed JSON: {exc}") from exc
        if not isinstance(manifest, dict):
            raise FeedError(f"{manifest_url}: expected an object of event UUIDs")
        since = int(cursor or 0)
        events = []
        for event_uuid, entry in manifest.items():
            try:
                stamp = int(entry["timestamp"])
                uuid.UUID(event_uuid)
            except (TypeError, KeyError, ValueError) as exc:
                raise FeedError(f"{manifest_url}: entry {event_uuid!r} needs a UUID and a timestamp") from exc
            if stamp > since:
                events.append((stamp, event_uuid))
        events.sort()
        for number, (stamp, event_uuid) in enumerate(events, 1):
            progress(f"event {number} of {len(events)}")
            event = self.download(_join(self.url, f"{event_uuid}.json"))
            data, left_out = _without_red(event.raw_file.read())  # type: ignore[attr-defined]
            self.left_out_red += left_out
            if data is not None:
                yield Piece(f"{event_uuid}.json", "misp", io.BytesIO(data), str(stamp))


# Accord's CSV columns (see docs/sharing.md) a mapping may fill.
CSV_COLUMNS = ("type", "value", "tlp", "first_seen", "last_seen", "description", "crime_type")


def csv_mapping_problem(mapping: Any) -> str | None:
    """What is wrong with a CSV feed's mapping, else ``None``.

    ``{"type": "=url", "value": "url", "first_seen": "dateadded", "header": [...]}``: each of
    Accord's columns from a source column, or a constant after ``=``; ``header`` names the
    source columns when the file has no header row.
    """
    if not isinstance(mapping, dict):
        return 'expected an object such as {"type": "=url", "value": "url"}'
    unknown = set(mapping) - {*CSV_COLUMNS, "header"}
    if unknown:
        return f"unknown key(s) {', '.join(sorted(unknown))}; one of {', '.join(CSV_COLUMNS)}, header"
    if "type" not in mapping or "value" not in mapping:
        return "needs at least type and value"
    if not all(isinstance(mapping[c], str) and mapping[c] for c in mapping if c != "header"):
        return "each column maps to a source column name or a =constant"
    header = mapping.get("header")
    if header is not None and not (isinstance(header, list) and all(isinstance(h, str) for h in header)):
        return "header: expected a list of column names"
    return None


class CsvSource(Source):
    """A CSV file over HTTP(S), its columns mapped to Accord's; fetched again only when it
    changed (ETag / Last-Modified)."""

    kind = FeedKind.CSV

    def pieces(self, cursor: str, progress: Callable[[str], None]) -> Iterator[Piece]:
        validator = orjson.loads(cursor) if cursor.startswith("{") else {}
        headers = {}
        if validator.get("etag"):
            headers["If-None-Match"] = validator["etag"]
        if validator.get("last_modified"):
            headers["If-Modified-Since"] = validator["last_modified"]
        response = self.download(self.url, headers)
        if response.status_code == 304:
            progress("not modified")
            return
        after = {"etag": response.headers.get("ETag", ""), "last_modified": response.headers.get("Last-Modified", "")}
        converted = self._convert(response.raw_file)  # type: ignore[attr-defined]
        progress("converted")
        yield Piece(self.url.rsplit("/", 1)[-1] or "feed.csv", "csv", converted, orjson.dumps(after).decode())

    def _convert(self, raw: IO[bytes]) -> IO[bytes]:
        try:
            text = raw.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FeedError(f"{self.url}: not UTF-8 text (byte {exc.start})") from exc
        kept = [
            (number, next(csv.reader([line])))
            for number, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
        header = self.mapping.get("header") or (kept.pop(0)[1] if kept else None)
        if not header:
            raise FeedError(f"{self.url}: empty")
        wanted = [c for c in CSV_COLUMNS if c in self.mapping]
        positions: dict[str, int] = {}
        for column in wanted:
            source = self.mapping[column]
            if not source.startswith("="):
                if source not in header:
                    raise FeedError(f"{self.url}: no column '{source}' (for {column}); it has {', '.join(header)}")
                positions[column] = header.index(source)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(wanted)
        for number, row in kept:
            if len(row) <= max(positions.values(), default=-1):
                raise FeedError(f"{self.url}, line {number}: {len(row)} columns, fewer than the mapping needs")
            writer.writerow([row[positions[c]] if c in positions else self.mapping[c][1:] for c in wanted])
        return io.BytesIO(out.getvalue().encode())


SOURCES: dict[str, type[Source]] = {cls.kind: cls for cls in (TaxiiSource, MispSource, CsvSource)}
