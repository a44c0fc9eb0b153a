"""Finding a value: text pasted as it comes (defanged ``hxxp://evil[.]example``, a sentence, a
list) is read as the free-text reader reads it, and each value it names is looked up among the
observables the reader may learn (:func:`accord.sharing.selectors.observable_list`, through the
policy); its page (the correlation page) says who reported it and the campaigns it is in."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accord.core.models import User
from accord.formats.normalisers import NORMALISERS, InvalidObservable, normalise
from accord.formats.text import TextReader
from accord.sharing.selectors import observable_list

__all__ = ["SEARCH_MAX_CHARS", "SEARCH_VALUES", "value_search"]

SEARCH_MAX_CHARS = 10_000  # of text searched at once
SEARCH_VALUES = 50  # values looked up at once


def _wanted(text: str) -> list[tuple[str, str]]:
    """The values ``text`` names (type, canonical value): those the free-text reader finds, else
    the text itself as any type it is valid as (a mutex, an ASN, a value the reader skips)."""
    found = [(m.type, m.value) for m in TextReader().mentions(text)]
    if not found:
        for kind in NORMALISERS:
            try:
                canonical = normalise(kind, text)
            except InvalidObservable:
                continue
            found.append((canonical.type, canonical.value))
    return list(dict.fromkeys(found))[:SEARCH_VALUES]


def value_search(*, principal: User, text: str) -> dict[str, Any]:
    """What ``text`` names and what the reader may learn of each value: ``{"values": [(type,
    value, observable or None)], "read": the text as searched}``. A value no object the
    reader may see mentions is listed without an observable, exactly like one nobody shared."""
    text = text.strip()[:SEARCH_MAX_CHARS]
    wanted = _wanted(text) if text else []
    condition = Q(pk__in=[])
    for kind, value in wanted:
        condition |= Q(type=kind, value=value)
    known = {(o.type, o.value): o for o in observable_list(principal=principal).filter(condition)} if wanted else {}
    values = [(kind, value, known.get((kind, value))) for kind, value in wanted]
    return {"values": values, "read": text}
