"""What a stored body becomes when it leaves the platform whole, known when it is stored.

:func:`accord.formats.stix.as_sent` gives a body its TLP 2.0 marking (``object_marking_refs``)
and names the extensions it uses (``extensions``). For most bodies that adds properties after
their own and changes nothing else: a body partners send without markings gets both, one that
carries its marking gets the declarations. What such a body becomes is its stored text with a
tail put before its closing brace, and the tail depends on the version's TLP and type, and on
which properties are added, alone. The store records which
(:class:`~accord.sharing.choices.SentForm`) when it writes a version, having checked that the
tail is exactly what ``as_sent`` adds; a reader from whom the policy withholds nothing is then
sent the stored text and the tail, without the body being parsed or encoded. Any other body (one
whose markings or declarations ``as_sent`` changes, an empty one) is read and rewritten.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson

from accord.formats.markings import TLP2_IDS
from accord.formats.stix import as_sent
from accord.sharing.choices import SentForm

__all__ = ["sent_form", "sent_tail", "sent_text"]

_ACCORD_PREFIX = "x_accord_"  # the properties Accord's property extension declares
_ACCORD_PROPERTY = "x_accord_data_category"  # which every ingest sets
_APPENDING = (SentForm.MARKED, SentForm.MARKED_WITH_PROPERTIES, SentForm.DECLARED)


@lru_cache(maxsize=1024)
def _appended(form: int, tlp: str, stix_type: str) -> bytes:
    """What ``as_sent`` appends to a body of that form, TLP and type, as a JSON object's text:
    found by sending a body that has only what decides it (its type, an Accord property, its
    marking)."""
    probe: dict[str, Any] = {"type": stix_type}
    if form == SentForm.DECLARED:
        probe["object_marking_refs"] = [TLP2_IDS[tlp]]
    if form in (SentForm.MARKED_WITH_PROPERTIES, SentForm.DECLARED):
        probe[_ACCORD_PREFIX] = True  # an Accord property: its extension is declared
    sent, _ = as_sent(probe, tlp)
    if sent is None:  # never: nothing is withheld
        raise ValueError("A body sent whole became nothing.")
    return orjson.dumps({key: value for key, value in sent.items() if key not in probe})


def sent_form(body: dict[str, Any], tlp: str) -> SentForm:
    """How ``body`` (a version of TLP ``tlp``) is sent when nothing of it is withheld: a form
    other than ``REWRITTEN`` only where the stored text and :func:`sent_tail` give exactly what
    ``as_sent`` gives (its own properties untouched, in their order, and the same ones after)."""
    if not body:
        return SentForm.REWRITTEN
    if "object_marking_refs" not in body and "extensions" not in body:
        # What partners mostly send, decided without sending it (on every object an ingest
        # stores, as_sent would cost more than encoding the body): ``as_sent`` appends the
        # marking, then the declarations of what the body uses (Accord properties, Accord's
        # own observable types). tests/sharing/test_sent.py holds the two to agreeing.
        accord = _ACCORD_PROPERTY in body or any(key.startswith(_ACCORD_PREFIX) for key in body)
        return SentForm.MARKED_WITH_PROPERTIES if accord else SentForm.MARKED
    sent, changed = as_sent(body, tlp)
    if sent is None:
        return SentForm.REWRITTEN
    if not changed:
        return SentForm.AS_STORED
    keys = list(sent)
    if keys[: len(body)] != list(body) or any(sent[key] is not body[key] for key in body):
        return SentForm.REWRITTEN  # one of its own properties was changed
    appended = orjson.dumps({key: sent[key] for key in keys[len(body) :]})
    stix_type = str(body.get("type", ""))
    for form in _APPENDING:
        if _appended(form, tlp, stix_type) == appended:
            return form
    return SentForm.REWRITTEN


def sent_tail(form: int, tlp: str, stix_type: str) -> str:
    """The properties that go before the closing brace of a stored body of that form, TLP and
    type, with their leading comma; empty for one sent as stored."""
    if form == SentForm.AS_STORED:
        return ""
    if form not in _APPENDING:
        raise ValueError(f"A body of form {form} is read and rewritten, not appended to.")
    return "," + _appended(form, tlp, stix_type).decode()[1:-1]


def sent_text(stored: str, tail: str) -> str:
    """The stored JSON text of a body as it is sent whole, given its :func:`sent_tail`."""
    if not tail:
        return stored
    if stored[-1:] != "}":  # the store writes bodies as JSON objects, and nothing after them
        raise ValueError("A stored body is not a JSON object.")
    return stored[:-1] + tail + "}"
