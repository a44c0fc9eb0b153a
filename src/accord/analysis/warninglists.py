"""The MISP warning lists as an on-disk index: known-benign values found without loading them.

``pymispwarninglists`` ships about 120 lists and 2.5 million entries. Loading them in every
process costs over 300 MB and a second; instead they are read once into a small SQLite file
(next to the database, keyed by the package's version and the lists chosen) and looked up with
indexed ``IN`` queries. Built by ``accord init`` and ``accord analysis warninglists``, or on first
use. Nothing is ever fetched: the lists are the ones the package bundles.

Matching follows the lists' own semantics, per observable type (from each list's
``matching_attributes``):

- ``cidr`` lists: the address is inside a listed network (every prefix of the address is
  looked up, so overlapping networks cost nothing);
- ``hostname`` lists, and ``string`` entries starting with a dot: the host or one of its parent
  domains is listed (``www.google.com`` matches ``google.com``);
- ``string`` lists: the value itself (for URLs: their host) is listed;
- ``substring`` and ``regex`` lists (a few dozen entries in all) are matched in memory.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ahocorasick
from django.conf import settings

__all__ = ["WarningListIndex", "host_of", "index", "index_if_built", "targets"]

# Observable type -> the MISP attribute types a list must name to apply to it.
_ATTRIBUTES = {
    "ipv4": {"ip-src", "ip-dst", "domain|ip"},
    "ipv6": {"ip-src", "ip-dst", "domain|ip"},
    "domain": {"domain", "hostname", "domain|ip"},
    "url": {"url", "uri"},
    "email": {"email-src", "email-dst", "target-email", "whois-registrant-email", "dns-soa-email"},
    "md5": {"md5", "filename|md5"},
    "sha1": {"sha1", "filename|sha1"},
    "sha256": {"sha256", "filename|sha256"},
    "phone": {"phone-number", "whois-registrant-phone"},
}
_BY_LIST_TYPE = {"cidr": {"ipv4", "ipv6"}, "hostname": {"domain", "url"}}
_CHUNK = 5000  # keys per query (SQLite takes up to 32,766 parameters)
_FORMAT = 2  # of the index file; a new format is built beside the old


@dataclass(frozen=True)
class _Patterns:
    """The substring entries of the lists applying to one type, as one Aho-Corasick automaton
    (thousands of substrings matched in one pass over the value), and the regex entries."""

    substrings: Any
    regexes: list[tuple[int, re.Pattern[str]]]

    def first(self, kind: str, value: str) -> int | None:
        subject = host_of(kind, value) or value.lower()
        hits = [list_id for _, list_id in self.substrings.iter(subject)] if self.substrings else []
        hits += [list_id for list_id, regex in self.regexes if regex.search(value)]
        return min(hits, default=None)


def _lists_dir() -> Path:
    import pymispwarninglists

    return Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"


def _applies_to(entry: dict[str, object]) -> frozenset[str]:
    kind = str(entry["type"])
    named = set(entry.get("matching_attributes") or ())  # type: ignore[call-overload]
    types = {t for t, attributes in _ATTRIBUTES.items() if attributes & named}
    if not named:
        types = set(_BY_LIST_TYPE.get(kind, ()))
    if kind == "cidr":
        types &= {"ipv4", "ipv6"}
    return frozenset(types)


def _misp_regex(text: str) -> re.Pattern[str] | None:
    """A MISP ``/pattern/flags`` entry compiled, or ``None`` when Python cannot read it."""
    match = re.fullmatch(r"/(.*)/([a-z]*)", text, re.DOTALL)
    body, flags = (match.group(1), match.group(2)) if match else (text, "")
    try:
        return re.compile(body, re.IGNORECASE if "i" in flags else 0)
    except re.error:
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


_EXACT, _SUFFIX = 0, 1


def _rows(list_id: int, kind: str, entries: Iterable[str]) -> Iterator[tuple[str, int, int]]:
    """(key, mode, list id) rows: a value or host named exactly, or a domain and its subdomains."""
    for raw in entries:
        text = raw.strip().lower().rstrip(".")
        if not text:
            continue
        if kind == "hostname" or text.startswith("."):
            yield text.lstrip("."), _SUFFIX, list_id
        else:
            yield text, _EXACT, list_id


class WarningListIndex:
    """Lookups in the index file (one read-only SQLite connection per thread); the networks of
    the ``cidr`` lists and the few substring and regex entries are held in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lists: dict[int, tuple[str, frozenset[str]]] | None = None
        self._patterns: dict[str, _Patterns] = {}
        self._nets: dict[int, dict[int, dict[int, int]]] | None = None

    # -- building ---------------------------------------------------------------------------

    @staticmethod
    def build(path: Path, names: Iterable[str] | None = None) -> int:
        """Write the index of the bundled lists (all, or those in ``names``); the entry count."""
        chosen = set(names) if names is not None else None
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        db = sqlite3.connect(partial)
        db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE lists (id INTEGER PRIMARY KEY, slug TEXT, name TEXT, description TEXT, type TEXT,"
            " version INTEGER, types TEXT);"
            "CREATE TABLE entries (key TEXT, mode INTEGER, list_id INTEGER);"
            "CREATE TABLE nets (list_id INTEGER, version INTEGER, length INTEGER, address TEXT);"
            "CREATE TABLE patterns (list_id INTEGER, text TEXT, regex INTEGER);"
        )
        count = 0
        for list_id, folder in enumerate(sorted(p for p in _lists_dir().iterdir() if (p / "list.json").is_file())):
            if chosen is not None and folder.name not in chosen:
                continue
            entry = json.loads((folder / "list.json").read_text(encoding="utf-8"))
            kind, types = entry["type"], _applies_to(entry)
            db.execute(
                "INSERT INTO lists VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    list_id,
                    folder.name,
                    entry["name"],
                    entry.get("description", ""),
                    kind,
                    entry.get("version", 0),
                    ",".join(sorted(types)),
                ),
            )
            if not types:
                continue
            if kind == "cidr":
                nets = (n for n in map(_network, entry["list"]) if n is not None)
                rows = ((list_id, n.version, n.prefixlen, f"{int(n.network_address):x}") for n in nets)
                cursor = db.executemany("INSERT INTO nets VALUES (?, ?, ?, ?)", rows)
            elif kind in {"substring", "regex"}:
                rows_p = ((list_id, text, kind == "regex") for text in entry["list"])
                cursor = db.executemany("INSERT INTO patterns VALUES (?, ?, ?)", rows_p)
            else:
                cursor = db.executemany("INSERT INTO entries VALUES (?, ?, ?)", _rows(list_id, kind, entry["list"]))
            count += max(cursor.rowcount, 0)
        db.executescript(
            "CREATE TABLE entry (key TEXT, mode INTEGER, list_id INTEGER, PRIMARY KEY (key, mode, list_id))"
            " WITHOUT ROWID;"
            "INSERT OR IGNORE INTO entry SELECT key, mode, list_id FROM entries ORDER BY key, mode, list_id;"
            "DROP TABLE entries; VACUUM;"
        )
        db.commit()
        db.close()
        partial.replace(path)
        return count

    # -- reading ----------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def prepare(self) -> None:
        """Load now what the first lookups of each type would otherwise load (the names, the
        networks, the patterns): a server worker does it before it takes requests."""
        self._networks()
        for kind in _ATTRIBUTES:
            self._patterns_for(kind)

    def _list_info(self) -> dict[int, tuple[str, frozenset[str]]]:
        if self._lists is None:
            rows = self._db().execute("SELECT id, name, types FROM lists")
            self._lists = {pk: (name, frozenset(filter(None, types.split(",")))) for pk, name, types in rows}
        return self._lists

    def lists(self) -> list[dict[str, object]]:
        """Every list in the index, for the UI and API."""
        rows = self._db().execute("SELECT slug, name, description, type, version, types FROM lists ORDER BY slug")
        keys = ("slug", "name", "description", "type", "version", "types")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def _patterns_for(self, kind: str) -> _Patterns:
        if kind not in self._patterns:
            info = self._list_info()
            automaton = ahocorasick.Automaton()
            regexes = []
            rows = self._db().execute("SELECT list_id, text, regex FROM patterns ORDER BY list_id")
            for list_id, text, regex in rows:
                if kind not in info[list_id][1]:
                    continue
                if regex:
                    compiled = _misp_regex(text)
                    if compiled is not None:
                        regexes.append((list_id, compiled))
                elif text.strip() and text.strip().lower() not in automaton:
                    automaton.add_word(text.strip().lower(), list_id)
            if len(automaton):
                automaton.make_automaton()
            self._patterns[kind] = _Patterns(automaton if len(automaton) else None, regexes)
        return self._patterns[kind]

    def _networks(self) -> dict[int, dict[int, dict[int, int]]]:
        """IP version -> prefix length -> network address (as an int) -> first list naming it."""
        if self._nets is None:
            nets: dict[int, dict[int, dict[int, int]]] = {4: {}, 6: {}}
            rows = self._db().execute("SELECT list_id, version, length, address FROM nets ORDER BY list_id")
            for list_id, version, length, address in rows:
                nets[version].setdefault(length, {}).setdefault(int(address, 16), list_id)
            self._nets = nets
        return self._nets

    def _match_ip(self, values: Iterable[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        nets = self._networks()
        for value in values:
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                continue
            number, width = int(address), address.max_prefixlen
            for length, networks in nets[address.version].items():
                hit = networks.get(number >> (width - length) << (width - length))
                if hit is not None and (value not in found or hit < found[value]):
                    found[value] = hit
        return found

    def match_many(self, kind: str, values: Iterable[str]) -> dict[str, str]:
        """The values of one observable type that a list names, each with the first list's name."""
        info = self._list_info()
        if kind in {"ipv4", "ipv6"}:
            hits = self._match_ip(values)
            return {value: info[list_id][0] for value, list_id in hits.items()}
        wanted: dict[str, list[tuple[str, int]]] = {}
        for value in values:
            for key, mode in targets(kind, value):
                wanted.setdefault(key, []).append((value, mode))
        chosen: dict[str, int] = {}
        keys = list(wanted)
        db = self._db()
        for start in range(0, len(keys), _CHUNK):
            part = keys[start : start + _CHUNK]
            sql = f"SELECT key, mode, list_id FROM entry WHERE key IN ({','.join('?' * len(part))})"  # noqa: S608
            for key, mode, list_id in db.execute(sql, part):
                if kind not in info[list_id][1]:
                    continue
                for value, wanted_mode in wanted[key]:
                    if mode == wanted_mode and (value not in chosen or list_id < chosen[value]):
                        chosen[value] = list_id
        patterns = self._patterns_for(kind)
        if patterns.substrings is not None or patterns.regexes:
            for value in {value for pairs in wanted.values() for value, _ in pairs} - chosen.keys():
                hit = patterns.first(kind, value)
                if hit is not None:
                    chosen[value] = hit
        return {value: info[list_id][0] for value, list_id in chosen.items()}

    def match(self, kind: str, value: str) -> str | None:
        """The name of a list naming ``value``, or ``None``."""
        return self.match_many(kind, [value]).get(value)


def host_of(kind: str, value: str) -> str | None:
    """The host a domain, URL or e-mail address is about (``None`` for other types)."""
    if kind == "domain":
        return value
    if kind == "url":
        return (urlsplit(value).hostname or "").rstrip(".") or None
    if kind == "email":
        return value.rpartition("@")[2] or None
    return None


def targets(kind: str, value: str) -> list[tuple[str, int]]:
    """The (key, mode) entries that would name ``value`` of type ``kind``: the value (and for a
    URL or e-mail address, its host) exactly, and the host and its parent domains as suffixes."""
    keys = [(value.lower(), _EXACT)]
    host = host_of(kind, value)
    if host is not None:
        if host != value.lower():
            keys.append((host, _EXACT))
        labels = host.split(".")
        keys.extend((".".join(labels[start:]), _SUFFIX) for start in range(len(labels)))
    return keys


def _index_path(names: tuple[str, ...] | None) -> Path:
    chosen = "all" if names is None else hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()[:12]
    name = f"warninglists-{_FORMAT}-{version('pymispwarninglists')}-{chosen}.sqlite3"
    return Path(settings.ACCORD_WARNINGLISTS_DIR) / name


_BUILD_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _index_for(names: tuple[str, ...] | None) -> WarningListIndex:
    path = _index_path(names)
    with _BUILD_LOCK:
        if not path.exists():
            WarningListIndex.build(path, names)
    return WarningListIndex(path)


def _chosen() -> tuple[str, ...] | None:
    names = settings.ACCORD_WARNINGLISTS
    return tuple(sorted(names)) if names is not None else None


def index() -> WarningListIndex:
    """The index of the lists chosen by ``ACCORD_WARNINGLISTS`` (all when unset), built if missing."""
    return _index_for(_chosen())


def index_if_built() -> WarningListIndex | None:
    """The index when its file exists already (``None`` rather than building it)."""
    return _index_for(_chosen()) if _index_path(_chosen()).exists() else None
