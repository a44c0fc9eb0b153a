"""Free text (reports, e-mails): indicators found by ``iocsearcher`` — which refangs
``hxxp``, ``[.]`` and the like — each kept as an indicator with the sentence it came from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import IO

from iocsearcher.searcher import Searcher

from accord.formats.base import Mention, ParsedObject, Reader, ReadError, Unreadable, register
from accord.formats.observables import pattern_for

__all__ = ["TextReader"]

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


@cache
def _searcher() -> Searcher:
    return Searcher()


def _sentence(text: str, offset: int) -> str:
    """The sentence around ``offset``: from the previous sentence end to the next."""
    start = 0
    for match in SENTENCE_END.finditer(text, 0, offset):
        start = match.end()
    following = SENTENCE_END.search(text, offset)
    end = following.end() if following else len(text)
    return " ".join(text[start:end].split())[:MAX_CONTEXT]


@register
class TextReader(Reader):
    format = "text"
    label = "Free text"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
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
        searcher = _searcher()
        found: dict[tuple[str, str], Mention] = {}
        matches = [(m.name, m.value, m.start_offset) for m in searcher.search_matches(text)]
        if not any(name == "phoneNumber" for name, _, _ in matches):
            matches += [(ioc.name, ioc.value, text.find(ioc.value)) for ioc in searcher.search_phone_numbers(text)]
        for name, value, offset in sorted(matches, key=lambda m: m[2]):
            kind = IOC_TYPES.get(name)
            if kind is None:
                continue
            mention = self.mention("text", "value", kind, value, context=_sentence(text, max(offset, 0)))
            if isinstance(mention, ReadError):
                continue  # a candidate the text search saw but that is not a valid observable: not the author's error
            found.setdefault((mention.type, mention.value), mention)
        now = datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        for number, ((kind, value), mention) in enumerate(found.items()):
            indicator = {
                "type": "indicator",
                "spec_version": "2.1",
                "id": self.mint_id("indicator", f"{kind}:{value}"),
                "created": now,
                "modified": now,
                "name": f"{kind} {value}",
                "pattern": pattern_for(kind, value),
                "pattern_type": "stix",
                "valid_from": now,
                "description": mention.context,
            }
            yield ParsedObject(f"indicator {number}", indicator, [mention])
