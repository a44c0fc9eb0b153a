"""Free text (reports, e-mails): indicators found by ``iocsearcher`` — which refangs
``hxxp``, ``[.]`` and the like — each kept as an indicator with the sentence it came from.

A sentence often names values of several kinds ("send to +971…, paid into GB29…"). Each
indicator's sentence keeps the values of its own data category and masks those of every other
sensitive one ("send to +971…, paid into [IBAN]" for the phone number; "[phone number]" and
"[IBAN]" for a domain), so that withholding a category from a reader withholds every copy of
its values: the sentence is stored in full only where the policy treats it as that category.
Values that look like e-mail addresses, phone numbers or IBANs but that the search does not take
as valid observables (a reserved domain, a wrong checksum) are masked all the same."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from itertools import accumulate
from typing import IO, Any

from iocsearcher.searcher import Searcher

from accord.formats.base import Mention, ParsedObject, Reader, ReadError, Unreadable, looks_like_json, register
from accord.formats.choices import SENSITIVE_OBSERVABLES
from accord.formats.observables import pattern_for

__all__ = ["TextReader", "stamp"]

# iocsearcher's names -> observable types (others, such as CVEs or social handles, are left out)
IOC_TYPES = {
    "ip4": "ipv4",
    "ip6": "ipv6",
    "fqdn": "domain",
    "url": "url",
    "email": "email",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "iban": "iban",
    "bitcoin": "btc",
    "ethereum": "eth",
    "monero": "xmr",
    "phoneNumber": "phone",
}
SENTENCE_END = re.compile(r"[.!?](\s|$)|\n\s*\n")
MAX_CONTEXT = 400

# What a masked value reads as in another indicator's sentence.
MASKS = {
    "phone": "[phone number]",
    "email": "[e-mail address]",
    "iban": "[IBAN]",
    "btc": "[crypto address]",
    "eth": "[crypto address]",
    "xmr": "[crypto address]",
}
# Look-alikes of sensitive values the search may not take (defanged forms included).
LOOKALIKES = (
    (
        "email",
        re.compile(
            r"[\w.%+-]+\s?(?:@|\[@\]|\(@\)|\[at\]|\(at\))\s?[\w-]+(?:\s?(?:\.|\[\.\]|\(\.\)|\[dot\]|\(dot\))\s?[\w-]+)+",
            re.IGNORECASE,
        ),
    ),
    ("phone", re.compile(r"\+\s?\d(?:[\s().-]?\d){6,14}")),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b")),
)

# Where a value is in the text: start, end, observable type (``None``: a kind not taken).
Span = tuple[int, int, str | None]


@cache
def _searcher() -> Searcher:
    return Searcher()


def _sensitive(text: str, found: list[Span]) -> list[Span]:
    """Where the text names a sensitive value: the values the search found, and look-alikes
    not inside a value it found (a hash is no IBAN). Linear in the text, up to a logarithm."""
    spans = [span for span in found if span[2] in SENSITIVE_OBSERVABLES]
    ordered = sorted(found)
    starts = [start for start, _, _ in ordered]
    # reach[i]: the furthest any of the first i values reaches
    reach = list(accumulate((end for _, end, _ in ordered), max, initial=-1))
    for kind, pattern in LOOKALIKES:
        for match in pattern.finditer(text):
            if reach[bisect_right(starts, match.start())] < match.end():  # no value found holds it
                spans.append((match.start(), match.end(), kind))
    return sorted(spans)


class _Sentences:
    """The sentences of a text and its sensitive values, found once, so that each indicator's
    sentence costs a search rather than a pass over the text (which made reading quadratic)."""

    def __init__(self, text: str, sensitive: list[Span]) -> None:
        self.text = text
        ends = [(match.start(), match.end()) for match in SENTENCE_END.finditer(text)]
        self.end_starts = [start for start, _ in ends]  # where each sentence end begins, and where it ends
        self.end_ends = [end for _, end in ends]
        self.sensitive = sensitive
        self.starts = [start for start, _, _ in sensitive]
        self.longest = max((end - start for start, end, _ in sensitive), default=0)

    def around(self, offset: int, keep: str | None) -> str:
        """The sentence around ``offset`` (from the previous sentence end to the next), its
        sensitive values of any category but ``keep`` masked."""
        text = self.text
        previous = bisect_right(self.end_ends, offset)  # the sentence ends wholly before ``offset``
        start = self.end_ends[previous - 1] if previous else 0
        following = bisect_left(self.end_starts, offset)  # the first to begin at ``offset`` or after
        end = self.end_ends[following] if following < len(self.end_ends) else len(text)
        pieces: list[str] = []
        cursor = start
        # values that start before the sentence may reach into it: begin as far back as the longest
        for span_start, span_end, kind in self.sensitive[bisect_left(self.starts, start - self.longest) :]:
            if span_start >= end:
                break
            if span_end <= cursor or kind is None or SENSITIVE_OBSERVABLES[kind] == keep:
                continue
            pieces += [text[cursor : max(span_start, cursor)], MASKS[kind]]
            cursor = min(span_end, end)
        pieces.append(text[cursor:end])
        return " ".join("".join(pieces).split())[:MAX_CONTEXT]


@register
class TextReader(Reader):
    format = "text"
    label = "Free text"
    detected_last = True  # any UTF-8 is text: every other format is tried first

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        if looks_like_json(head):  # JSON that no JSON reader took is a broken file, not prose
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the head is fine
            return exc.start >= len(head) - 3
        return True

    def read(self, stream: IO[bytes]) -> Iterator[ParsedObject | ReadError]:
        try:
            text = stream.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield Unreadable(f"byte {exc.start}", "encoding", "not UTF-8 text")
            return
        now = stamp()
        for number, mention in enumerate(self.mentions(text)):
            yield ParsedObject(f"indicator {number}", self.indicator(mention, now), [mention])

    def mentions(self, text: str) -> list[Mention]:
        """The values the text names, each once (canonical type and value), in the order it
        first names them, each with the sentence it came from (others' sensitive values masked)."""
        searcher = _searcher()
        found: dict[tuple[str, str], Mention] = {}
        matches = [(m.name, m.value, m.start_offset, m.raw_value) for m in searcher.search_matches(text)]
        if not any(name == "phoneNumber" for name, _, _, _ in matches):
            cursor = 0  # the numbers come in the order of the text: each is looked for after the last
            for ioc in searcher.search_phone_numbers(text):
                at = text.find(ioc.value, cursor)
                at = at if at >= 0 else text.find(ioc.value)
                cursor = at + len(ioc.value) if at >= 0 else cursor
                matches.append((ioc.name, ioc.value, at, ioc.value))
        spans: list[Span] = [
            (offset, offset + len(raw), IOC_TYPES.get(name)) for name, _, offset, raw in matches if offset >= 0
        ]
        sentences = _Sentences(text, _sensitive(text, spans))
        for name, value, offset, _ in sorted(matches, key=lambda m: m[2]):
            kind = IOC_TYPES.get(name)
            if kind is None:
                continue
            context = sentences.around(max(offset, 0), SENSITIVE_OBSERVABLES.get(kind))
            mention = self.mention("text", "value", kind, value, context=context)
            if isinstance(mention, ReadError):
                continue  # a candidate the text search saw but that is not a valid observable: not the author's error
            if mention.extra.get("flags"):
                continue  # a questionable value (an unknown suffix, an internal name) read from prose is noise
            found.setdefault((mention.type, mention.value), mention)
        return list(found.values())

    def indicator(self, mention: Mention, now: str) -> dict[str, Any]:
        """The STIX indicator of one value found in text, its sentence as its description; its id
        minted from the value, so the same value from the same organisation is the same object."""
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": self.mint_id("indicator", f"{mention.type}:{mention.value}"),
            "created": now,
            "modified": now,
            "name": f"{mention.type} {mention.value}",
            "pattern": pattern_for(mention.type, mention.value),
            "pattern_type": "stix",
            "valid_from": now,
            "description": mention.context,
        }


def stamp() -> str:
    """Now as STIX writes it (UTC, milliseconds)."""
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
