"""Marking definitions and markings (STIX 2.1 §7.2): the standard TLP definitions, TLP 2.0 (the
STIX extension) and TLP 1.0 (built into STIX 2.1), the references an object makes to marking
definitions, and granular-marking selectors (§7.2.3.1).

The standard definitions are known here, as published, and never stored: a partner's copy of one
is checked against them, never kept (see :mod:`accord.sharing.services.markings`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accord.core.choices import Tlp

__all__ = [
    "STANDARD_DEFINITIONS",
    "carried_refs",
    "TLP1_IDS",
    "TLP2_IDS",
    "TLP_BY_MARKING",
    "granular_tlps",
    "marking_refs",
    "selector_path",
    "selects",
    "standard_definition",
    "tlp_label",
    "tlp_marking",
    "tlp_of_refs",
]

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

TLP2_IDS: dict[str, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# TLP 1.0, accepted on input and mapped (WHITE becomes CLEAR).
TLP1_IDS: dict[str, str] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}

TLP_BY_MARKING: dict[str, str] = {ref: label for label, ref in TLP2_IDS.items()} | TLP1_IDS

_ALIASES = {"white": Tlp.CLEAR, "amber-strict": Tlp.AMBER_STRICT, "amber_strict": Tlp.AMBER_STRICT}


def tlp_label(text: str) -> str | None:
    """``TLP:AMBER+STRICT``, ``amber+strict``, ``tlp:white`` … → the TLP 2.0 value, else ``None``."""
    value = text.strip().lower().removeprefix("tlp:").strip()
    value = _ALIASES.get(value, value)
    return value if value in Tlp.values else None


def tlp_of_refs(refs: list[str]) -> str | None:
    """The most restrictive TLP among marking references, or ``None`` when none is a TLP."""
    labels = [TLP_BY_MARKING[ref] for ref in refs if ref in TLP_BY_MARKING]
    return max(labels, key=Tlp.rank) if labels else None


_TLP2_CREATED = "2022-10-01T00:00:00.000Z"
_TLP_NAMES = dict(Tlp.choices)


def tlp_marking(label: str) -> dict[str, Any]:
    """The TLP 2.0 marking-definition object, exactly as FIRST/OASIS publish it."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[label],
        "created": _TLP2_CREATED,
        "name": _TLP_NAMES[label],
        "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": label}},
    }


def _tlp1_marking(ref: str, colour: str) -> dict[str, Any]:
    """A TLP 1.0 marking definition as STIX 2.1 §7.2.1.4 defines it."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": ref,
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": f"TLP:{colour.upper()}",
        "definition": {"tlp": colour},
    }


_TLP1_COLOURS: dict[str, str] = {Tlp.CLEAR: "white", Tlp.GREEN: "green", Tlp.AMBER: "amber", Tlp.RED: "red"}

# Every standard TLP definition by id, as its standard publishes it.
STANDARD_DEFINITIONS: dict[str, dict[str, Any]] = {
    **{ref: tlp_marking(label) for label, ref in TLP2_IDS.items()},
    **{ref: _tlp1_marking(ref, _TLP1_COLOURS[label]) for ref, label in TLP1_IDS.items()},
}


def standard_definition(ref: str) -> dict[str, Any] | None:
    """The published definition of a standard TLP marking id, else ``None``."""
    found = STANDARD_DEFINITIONS.get(ref)
    return dict(found) if found is not None else None


def marking_refs(body: Mapping[str, Any]) -> list[str]:
    """The marking definitions an object refers to, in ``object_marking_refs`` and in
    ``granular_markings`` (``marking_ref``), each once, in order."""
    refs: dict[str, None] = {}
    found = body.get("object_marking_refs")
    if isinstance(found, list):
        refs.update(dict.fromkeys(ref for ref in found if isinstance(ref, str)))
    granular = body.get("granular_markings")
    if isinstance(granular, list):
        for marking in granular:
            ref = marking.get("marking_ref") if isinstance(marking, dict) else None
            if isinstance(ref, str):
                refs[ref] = None
    return list(refs)


def carried_refs(body: Mapping[str, Any]) -> list[str]:
    """The marking definitions a bundle must carry for an object as exports write it: those of
    its granular markings, and in ``object_marking_refs`` all but TLP ones (exports mark each
    object with its TLP 2.0 definition instead)."""
    own = body.get("object_marking_refs")
    refs = [ref for ref in own if isinstance(ref, str) and ref not in TLP_BY_MARKING] if isinstance(own, list) else []
    granular = body.get("granular_markings")
    for marking in granular if isinstance(granular, list) else ():
        ref = marking.get("marking_ref") if isinstance(marking, dict) else None
        if isinstance(ref, str):
            refs.append(ref)  # granular references are written as sent, TLP ones too
    return list(dict.fromkeys(refs))


def granular_tlps(body: Mapping[str, Any]) -> dict[str, list[str]]:
    """The selectors each TLP marks through ``granular_markings`` (TLP 1.0 ids mapped like
    object-level ones); markings that are not TLP (a statement, a language) are left out."""
    found: dict[str, list[str]] = {}
    granular = body.get("granular_markings")
    for marking in granular if isinstance(granular, list) else ():
        if not isinstance(marking, dict):
            continue
        label = TLP_BY_MARKING.get(str(marking.get("marking_ref", "")))
        selectors = marking.get("selectors")
        if label is not None and isinstance(selectors, list):
            found.setdefault(label, []).extend(s for s in selectors if isinstance(s, str))
    return found


# STIX 2.1 §7.2.3.1: a selector is a property name, then property names and list indexes
# (``[n]``), joined by dots: ``description``, ``external_references.[0].url``.
# STIX 2.1 §7.2.3.1 as the OASIS schema reads it: property names and dictionary keys in lower
# case, which may hold hyphens (extension ids, ``windows-pebinary-ext``), and list indexes.
_SELECTOR_RE = re.compile(r"^([a-z0-9_-]{3,249}(\.(\[\d+\]|[a-z0-9_-]{1,250}))*|id)$")
Step = str | int


def selector_path(selector: str) -> tuple[Step, ...] | None:
    """A selector as the steps it takes (names and list indexes), or ``None`` when it does not
    follow the syntax of STIX 2.1 §7.2.3.1."""
    if not isinstance(selector, str) or not _SELECTOR_RE.match(selector):
        return None
    return tuple(int(step[1:-1]) if step.startswith("[") else step for step in selector.split("."))


def selects(body: Any, path: tuple[Step, ...]) -> bool:
    """Whether ``path`` selects something in ``body`` (STIX 2.1 §7.2.3.1: a selector must)."""
    value = body
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return False
        elif not isinstance(value, dict) or step not in value:
            return False
        value = value[step]
    return True
