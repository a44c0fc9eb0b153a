"""STIX 2.1 bundles: objects validated for their required properties and identifiers, the
observables in cyber-observable objects and indicator patterns extracted and normalised.

Small bundles are parsed whole with ``orjson``; larger ones stream object by object with
``ijson`` (its C parser is as fast as ``orjson`` here), so memory does not grow with the file.
Observables in patterns are read by :mod:`accord.formats.patterns`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from typing import IO, Any

import ijson
import orjson

from accord.formats.base import Mention, ParsedObject, Reader, ReadError, Unreadable, register
from accord.formats.extensions import declare
from accord.formats.markings import TLP2_IDS, selector_path, selects, tlp_of_refs
from accord.formats.observables import CURRENCIES, NUMERIC, PATH_TO_TYPE, SCO_REQUIRED
from accord.formats.patterns import fast_comparisons, hash_path, parsed_comparisons
from accord.formats.redaction import withhold

__all__ = ["StixReader", "is_cyber_observable", "sendable"]

SDO_TYPES = frozenset(
    {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "incident",
        "indicator",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "observed-data",
        "opinion",
        "report",
        "threat-actor",
        "tool",
        "vulnerability",
    }
)
SRO_TYPES = frozenset({"relationship", "sighting"})
META_TYPES = frozenset({"marking-definition", "language-content", "extension-definition"})
SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
# Accord's own cyber-observable types (the design's bank accounts, crypto wallets, phone numbers).
ACCORD_SCO_TYPES = frozenset({"x-accord-bank-account", "x-accord-crypto-wallet", "x-accord-phone-number"})
# Properties each kind of object must carry (STIX 2.1 §3 and each object's section).
REQUIRED: dict[str, tuple[str, ...]] = {
    "indicator": ("pattern", "pattern_type", "valid_from"),
    "relationship": ("relationship_type", "source_ref", "target_ref"),
    "sighting": ("sighting_of_ref",),
    "malware": ("is_family",),
    "report": ("name", "published", "object_refs"),
    "note": ("content", "object_refs"),
    "grouping": ("context", "object_refs"),
    "observed-data": ("first_observed", "last_observed", "number_observed"),
    "language-content": ("object_ref", "contents"),
}
NAMED = frozenset(
    {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "identity",
        "infrastructure",
        "intrusion-set",
        "threat-actor",
        "tool",
        "vulnerability",
    }
)

TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_STAMPED = ("created", "modified")
_MUST_HAVE = {kind: REQUIRED.get(kind, ()) + (("name",) if kind in NAMED else ()) for kind in {*REQUIRED, *NAMED}}
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Each cyber-observable type's own properties that hold an observable (no reference paths).
SCO_PATHS: dict[str, tuple[tuple[str, str], ...]] = {}
for (_owner, _path), _kind in PATH_TO_TYPE.items():
    if "." not in _path:
        SCO_PATHS[_owner] = (*SCO_PATHS.get(_owner, ()), (_path, _kind))
HASHED = frozenset({owner for owner, path in PATH_TO_TYPE if path.startswith("hashes.")})
STREAM_THRESHOLD = 4 * 1024 * 1024  # a bundle loaded whole takes about seven times its size in memory


# Properties STIX 2.1 requires that the reader does not insist on, but that a redacted object
# must still carry to be sent as valid STIX (an incident's name, a malware analysis's product).
_SENT_MUST_HAVE = _MUST_HAVE | {
    "incident": ("name",),
    "marking-definition": ("created",),
    "opinion": ("opinion", "object_refs"),
    "malware-analysis": ("product",),
}


def sendable(
    body: dict[str, Any], redactions: Collection[str], granular: Collection[str] = ()
) -> dict[str, Any] | None:
    """``body`` without the properties ``redactions`` withholds and the content of the granular
    markings ``granular`` withholds (:func:`accord.formats.redaction.withhold`), as it may be sent;
    ``None`` when nothing worth sending is left: an object whose substance is an observable value
    when a data category is withheld from it (an indicator's pattern, a cyber-observable's value:
    the value cannot be taken out of it), or one that lost a property its type requires (an
    identity whose name is withheld, a note without its content, an indicator without its
    pattern, a malware family without its name), which would be invalid STIX."""
    if not redactions and not granular:
        return body
    stix_type = str(body.get("type", ""))
    if redactions and (
        stix_type in ("indicator", "observed-data") or stix_type in SCO_TYPES or stix_type.startswith("x-")
    ):
        return None
    kept = withhold(body, redactions, granular)
    if any(kept.get(path) in (None, "") for owner, path in SCO_REQUIRED if owner == stix_type):
        return None  # a cyber-observable without the value it is
    required = _SENT_MUST_HAVE.get(stix_type, ())
    if stix_type == "malware" and kept.get("is_family") is True:
        required = (*required, "name")  # STIX 2.1 §4.11: a family has a name
    if any(kept.get(name) in (None, "", []) for name in required):
        return None
    return kept


def as_sent(
    stored: dict[str, Any], tlp: str, redactions: Collection[str] = (), granular: Collection[str] = ()
) -> tuple[dict[str, Any] | None, bool]:
    """A stored object as it leaves the platform (a TAXII page, a report bundle): what
    :func:`sendable` leaves of it (``None`` when nothing worth sending is left), its TLP 2.0
    marking in ``object_marking_refs`` and the Accord extensions it uses named in ``extensions``
    (:func:`accord.formats.extensions.declare`), so that standard tools take it; and whether that
    changed it (when not, the stored text may be sent as it is)."""
    kept = sendable(stored, redactions, granular)
    if kept is None:
        return None, True
    body = dict(kept)  # a copy: ``stored`` is the caller's
    changed = bool(redactions or granular)
    marking = TLP2_IDS[tlp]
    refs = body.get("object_marking_refs")
    if not isinstance(refs, list):
        body["object_marking_refs"] = [marking]
        changed = True
    elif marking not in refs:
        body["object_marking_refs"] = [*refs, marking]
        changed = True
    return body, declare(body) or changed


def is_cyber_observable(obj: Mapping[str, Any]) -> bool:
    """Whether a STIX object is a cyber-observable (STIX 2.1 §6): a standard or Accord's own
    observable type, another custom type without ``created`` (a custom domain object has one),
    or a type an extension definition makes a new cyber-observable (§7.3, ``new-sco``: its name
    need not start with ``x-``). Its id comes from its value (§2.9) and it has no versions of
    its own."""
    kind = str(obj.get("type", ""))
    if kind in SCO_TYPES or kind in ACCORD_SCO_TYPES:
        return True
    if "created" in obj:
        return False
    if kind.startswith("x-"):
        return True
    extensions = obj.get("extensions")
    return isinstance(extensions, dict) and any(
        isinstance(e, dict) and e.get("extension_type") == "new-sco" for e in extensions.values()
    )


def _granular_problem(obj: dict[str, Any]) -> str | None:
    """What is wrong with an object's ``granular_markings`` (STIX 2.1 §7.2.3), else ``None``:
    each marking names a marking definition or a language, and selectors that follow §7.2.3.1
    and select something in the object."""
    markings = obj["granular_markings"]
    if not isinstance(markings, list) or not markings:
        return "expected a non-empty list of granular markings"
    for n, marking in enumerate(markings):
        if not isinstance(marking, dict):
            return f"granular marking {n}: expected an object"
        ref, lang = marking.get("marking_ref"), marking.get("lang")
        if (ref is None) == (lang is None):
            return f"granular marking {n}: expected either marking_ref or lang"
        if ref is not None and _id_error("marking-definition", ref):
            return f"granular marking {n}: marking_ref {ref!r} is not a marking-definition id"
        selectors = marking.get("selectors")
        if not isinstance(selectors, list) or not selectors:
            return f"granular marking {n}: expected a non-empty list of selectors"
        for selector in selectors:
            path = selector_path(selector)
            if path is None:
                return (
                    f"granular marking {n}: selector {selector!r} is not a selector (STIX 2.1 §7.2.3.1: "
                    "property names and list indexes joined by dots, such as external_references.[0].url)"
                )
            if path[0] in ("id", "type", "spec_version", "granular_markings"):
                return f"granular marking {n}: selector {selector!r} marks what makes the object one (id, type)"
            if not selects(obj, path):
                return f"granular marking {n}: selector {selector!r} selects nothing in this object"
    return None


def _timestamp_error(value: Any) -> str | None:
    return _stamp_error(value) if isinstance(value, str) else _stamp_error("")


@lru_cache(maxsize=8192)  # the objects of one bundle share a few stamps
def _stamp_error(value: str) -> str | None:
    if not TIMESTAMP_RE.match(value):
        return "expected an RFC 3339 UTC timestamp such as 2026-05-01T12:00:00.000Z"
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return f"'{value}' is not a real date and time"
    return None


def _id_error(stix_type: str, value: Any) -> str | None:
    """What is wrong with an identifier ``<type>--<UUID>`` (STIX 2.1 §2.9), else ``None``."""
    if not isinstance(value, str) or "--" not in value:
        return f"expected an identifier '{stix_type}--<UUID>'"
    prefix, _, raw = value.partition("--")
    if prefix != stix_type:
        return f"the identifier names type '{prefix}' but the object is a '{stix_type}'"
    if not UUID_RE.fullmatch(raw):
        return f"'{raw}' is not a UUID (8-4-4-4-12 hexadecimal digits)"
    return None


def _is_lone_object(found: Any) -> bool:
    """Whether a file holds one STIX 2.1 object rather than a bundle: a JSON object with a type
    other than ``bundle``, an id of that type and ``spec_version`` 2.1, which a cyber-observable
    may leave out (what is wrong inside it
    is then reported for that object, as for any object of a bundle)."""
    if not isinstance(found, dict):
        return False
    if found.get("spec_version") != "2.1" and not ("spec_version" not in found and is_cyber_observable(found)):
        return False  # a cyber-observable may leave spec_version out (STIX 2.1 §6)
    kind, identifier = found.get("type"), found.get("id")
    return (
        isinstance(kind, str)
        and kind != "bundle"
        and isinstance(identifier, str)
        and identifier.startswith(f"{kind}--")
    )


_SHAPE = " shape"  # in a streamed file's header: how its objects are held, when not in a bundle
_LISTS = {"list": "item", "envelope": "objects.item"}  # where ijson finds them then


def _listed_objects(document: Any) -> list[Any] | None:
    """The objects of STIX content sent without a bundle: a JSON list of objects, or a TAXII 2.1
    envelope (``{"more": false, "objects": [...]}``, a saved poll); ``None`` for anything else."""
    if isinstance(document, list) and document and all(_is_lone_object(item) for item in document[:1]):
        return document
    if (
        isinstance(document, dict)
        and isinstance(document.get("objects"), list)
        and "type" not in document
        and "id" not in document
    ):
        return list(document["objects"])
    return None


@register
class StixReader(Reader):
    format = "stix"
    label = "STIX 2.1 bundle"
    _index = _total = 0  # the object being read, of how many (when the bundle is read whole)
    _start = 0  # where the JSON starts: after a byte-order mark, if any
    _sniff = re.compile(rb'"type"\s*:\s*"bundle"')
    _sniff_lone = re.compile(rb'"spec_version"\s*:\s*"2\.1"|"id"\s*:\s*"[a-z0-9-]+--[0-9a-fA-F-]{36}"')

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        start = head.removeprefix(codecs.BOM_UTF8).lstrip()
        return start.startswith((b"{", b"[")) and bool(cls._sniff.search(head) or cls._sniff_lone.search(head))

    def read(self, stream: IO[bytes]) -> Iterator[ParsedObject | ReadError]:
        self._index, self._total = 0, 0
        for index, item in enumerate(self._objects(stream)):
            if isinstance(item, Unreadable):  # the bundle, not an object: nothing after it
                yield item
                return
            self._index = index
            yield self._object(index, item)

    def done(self) -> float | None:
        return (self._index + 1) / self._total if self._total else None

    # -- the bundle ---------------------------------------------------------------------------------

    def _objects(self, stream: IO[bytes]) -> Iterator[dict[str, Any] | ReadError]:
        """The bundle's objects as parsed, not yet checked; an :class:`Unreadable` when the
        bundle itself is malformed, truncated or not a bundle."""
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
        self._start = 3 if stream.read(3) == codecs.BOM_UTF8 else 0  # a byte-order mark, as Windows tools write
        stream.seek(self._start)
        if size <= STREAM_THRESHOLD:
            try:
                bundle = orjson.loads(stream.read())
            except orjson.JSONDecodeError as exc:
                yield Unreadable("bundle", "json", f"malformed JSON: {exc}")
                return
            if _is_lone_object(bundle):  # STIX 2.1 content need not come in a bundle (§8)
                self._total = 1
                yield bundle
                return
            listed = _listed_objects(bundle)
            if listed is not None:
                self._total = len(listed)
                yield from listed
                return
            problem = self._bundle_problem(bundle)
            if problem:
                yield problem
                return
            self._total = len(bundle["objects"])  # read whole: progress counts objects, not bytes
            yield from bundle["objects"]
            return
        yield from self._stream(stream)

    def _bundle_problem(self, bundle: Any) -> Unreadable | None:
        if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
            return Unreadable(
                "bundle",
                "type",
                'not STIX 2.1: expected a bundle (a JSON object with "type": "bundle"), a TAXII envelope or '
                "list of STIX 2.1 objects, or one STIX 2.1 object",
            )
        if bundle.get("spec_version") not in (None, "2.1"):
            return Unreadable(
                "bundle", "spec_version", f"a STIX {bundle.get('spec_version')} bundle; Accord takes STIX 2.1"
            )
        error = _id_error("bundle", bundle.get("id"))
        if error:
            return Unreadable("bundle", "id", error)
        if not isinstance(bundle.get("objects"), list):
            return Unreadable("bundle", "objects", "expected a list of objects")
        return None

    def _stream(self, stream: IO[bytes]) -> Iterator[dict[str, Any] | ReadError]:
        """Objects one at a time (``ijson``'s C parser builds each), after the bundle's own
        properties are checked."""
        header = self._header(stream)
        if _is_lone_object(header):  # one large object (an artifact's payload): read whole
            stream.seek(self._start)
            self._total = 1
            yield orjson.loads(stream.read())
            return
        listed = _LISTS.get(header.get(_SHAPE, ""))
        if listed:
            stream.seek(self._start)
            try:
                yield from ijson.items(stream, listed, use_float=True)
            except ijson.JSONError as exc:
                yield Unreadable("bundle", "json", f"malformed JSON: {exc}")
            return
        problem = self._bundle_problem(header | {"objects": []})
        if problem:
            yield problem
            return
        stream.seek(self._start)
        try:
            yield from ijson.items(stream, "objects.item", use_float=True)
        except ijson.JSONError as exc:  # truncated or broken midway: whatever came before goes too
            yield Unreadable("bundle", "json", f"malformed JSON: {exc}")

    @staticmethod
    def _header(stream: IO[bytes]) -> dict[str, Any]:
        """The bundle's top-level ``type``, ``id`` and ``spec_version``: usually in the first
        bytes; when they come after the objects, found by reading on without building them."""
        header: dict[str, Any] = {}
        try:
            for prefix, event, value in ijson.parse(stream, use_float=True):
                if not prefix and event == "start_array":
                    return {_SHAPE: "list"}  # a JSON list of objects
                if prefix == "objects" and event == "start_array":
                    header.setdefault(_SHAPE, "objects")
                if prefix in ("type", "id", "spec_version") and event in ("string", "number"):
                    header[prefix] = value
                    if len(header) == 3:
                        break
                elif prefix == "objects" and event == "start_array" and "type" in header and "id" in header:
                    break  # no spec_version before the objects: a 2.1 bundle need not have one
        except ijson.JSONError:
            pass  # reported when the objects are read
        if header.get(_SHAPE) == "objects" and "type" not in header and "id" not in header:
            header[_SHAPE] = "envelope"
        else:
            header.pop(_SHAPE, None)
        return header

    # -- one object -------------------------------------------------------------------------------

    def _object(self, index: int, obj: Any) -> ParsedObject | ReadError:
        where = f"object {index}"
        if not isinstance(obj, dict):
            return ReadError(where, "type", "expected a JSON object")
        stix_type = obj.get("type")
        if not isinstance(stix_type, str) or not TYPE_RE.match(stix_type):
            return ReadError(where, "type", "expected a STIX type name (3-250 lower-case letters, digits, hyphens)")
        error = _id_error(stix_type, obj.get("id"))
        if error:
            return ReadError(where, "id", error)
        where = f"object {index} ({obj['id']})"
        is_sco = is_cyber_observable(obj)
        if not is_sco:
            if obj.get("spec_version") != "2.1":
                return ReadError(where, "spec_version", f'expected "2.1", got {obj.get("spec_version")!r}')
            for stamp in _STAMPED if stix_type != "marking-definition" else _STAMPED[:1]:
                error = _timestamp_error(obj.get(stamp))
                if error:
                    return ReadError(where, stamp, error)
            for required in _MUST_HAVE.get(stix_type, ()):
                if obj.get(required) in (None, "", []):
                    return ReadError(where, required, f"required for a {stix_type}")
        refs = obj.get("object_marking_refs", [])
        if not isinstance(refs, list):
            return ReadError(where, "object_marking_refs", "expected a list of marking-definition ids")
        if "granular_markings" in obj:
            problem = _granular_problem(obj)
            if problem:
                return ReadError(where, "granular_markings", problem)
        mentions: list[Mention] = []
        if is_sco:
            found = self._sco_mentions(where, stix_type, obj)
        elif stix_type == "indicator" and obj.get("pattern_type") == "stix":
            found = self._pattern_mentions(where, obj["pattern"])
        elif stix_type == "observed-data" and "objects" in obj:
            found = self._inline_mentions(where, obj["objects"])
        else:
            found = []
        for item in found:
            if isinstance(item, ReadError):
                return item
            mentions.append(item)
        return ParsedObject(where=where, stix=obj, mentions=mentions, tlp=tlp_of_refs(refs))

    def _sco_mentions(self, where: str, stix_type: str, obj: dict[str, Any]) -> list[Mention | ReadError]:
        found: list[Mention | ReadError] = []
        if stix_type == "x-accord-crypto-wallet":
            kind = CURRENCIES.get(str(obj.get("currency", "")).lower())
            if kind is None:
                return [ReadError(where, "currency", "expected btc, eth or xmr")]
            return [self.mention(where, "address", kind, obj.get("address"))]
        if stix_type in HASHED:
            hashes = obj.get("hashes") or {}
            for algorithm, digest in hashes.items() if isinstance(hashes, dict) else ():
                kind = PATH_TO_TYPE.get((stix_type, hash_path(f"hashes.{algorithm}")))
                if kind:
                    found.append(self.mention(where, f"hashes.{algorithm}", kind, digest))
        for path, kind in SCO_PATHS.get(stix_type, ()):
            value = obj.get(path)
            if value in (None, ""):
                if (stix_type, path) in SCO_REQUIRED:
                    return [ReadError(where, path, f"required for a {stix_type}")]
                continue
            if kind in NUMERIC and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            found.append(self.mention(where, path, kind, value))
        return found

    def _inline_mentions(self, where: str, objects: Any) -> list[Mention | ReadError]:
        """The observables of cyber-observables an ``observed-data`` holds inline (STIX 2.1
        §4.13's deprecated ``objects``, keyed by reference, which older producers still send):
        they decide its data category as those of an SCO sent alone decide the SCO's."""
        if not isinstance(objects, dict) or not all(isinstance(inner, dict) for inner in objects.values()):
            return [ReadError(where, "objects", "expected an object of cyber-observables keyed by reference")]
        found: list[Mention | ReadError] = []
        for key, inner in objects.items():
            inner_type = inner.get("type")
            if not isinstance(inner_type, str):
                return [ReadError(where, f"objects.{key}.type", "expected a cyber-observable type")]
            found.extend(self._sco_mentions(f"{where}, objects.{key}", inner_type, inner))
        return found

    def _pattern_mentions(self, where: str, pattern: Any) -> list[Mention | ReadError]:
        if not isinstance(pattern, str):
            return [ReadError(where, "pattern", "expected a STIX pattern string")]
        comparisons = fast_comparisons(pattern)
        if comparisons is None:
            parsed = parsed_comparisons(pattern)
            if isinstance(parsed, str):
                return [ReadError(where, "pattern", f"not a valid STIX pattern: {parsed}")]
            comparisons = parsed
        found: list[Mention | ReadError] = []
        for object_type, path, value in comparisons:
            kind = PATH_TO_TYPE.get((object_type, path))
            if kind == "crypto":
                kind = "eth" if value.lower().startswith("0x") else ("xmr" if len(value) in (95, 106) else "btc")
            if kind:
                found.append(self.mention(where, "pattern", kind, value, context=pattern))
        return found
