"""Withholding fields of a STIX object: properties removed rather than blanked, and the content
that granular markings select (STIX 2.1 §7.2.3), with ``granular_markings`` kept true to what is
left, so that the object stays valid STIX. The policy decides what is withheld
(:mod:`accord.policy`); this is how it is taken out, wherever an object is sent."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import orjson

from accord.formats.markings import selector_path, selects

__all__ = ["HANDLING_PROPERTIES", "withhold"]

# Custom properties that are handling conditions, not content: they travel with a redacted
# object like its TLP (the category and crime type are columns every reader sees).
HANDLING_PROPERTIES = frozenset({"x_accord_data_category", "x_accord_crime_type", "x_accord_credibility"})


def withhold(body: Mapping[str, Any], redactions: Collection[str], granular: Collection[str] = ()) -> dict[str, Any]:
    """``body`` without the properties ``redactions`` names, removed rather than blanked;
    ``x_*`` takes every custom property but the handling ones (:data:`HANDLING_PROPERTIES`).
    ``granular`` are granular-marking selectors (STIX 2.1 §7.2.3.1) whose content is withheld:
    a property, a list item or a nested property, removed likewise (a list or an object left
    empty goes too). ``granular_markings`` is kept true to what is left: selectors of what was
    removed go, those of later items of a shortened list are renumbered, and a marking left
    without selectors goes, so that the object stays valid STIX."""
    custom = "x_*" in redactions
    kept = {
        name: value
        for name, value in body.items()
        if name not in redactions and not (custom and name.startswith("x_") and name not in HANDLING_PROPERTIES)
    }
    if "granular_markings" not in kept or (len(kept) == len(body) and not granular):
        return kept
    markings = kept.pop("granular_markings")
    selected = [[selector_path(s) for s in m.get("selectors", ())] if isinstance(m, dict) else [] for m in markings]
    for name in body:
        if name not in kept and name != "granular_markings":
            _forget((name,), selected)
    paths = {path for path in map(selector_path, granular) if path is not None}
    if paths:
        kept = orjson.loads(orjson.dumps(kept))  # a copy: nested values are changed in place
        # Outermost first wins (what lies under a removed path goes with it); among siblings in a
        # list, the last first, so that the indexes of those still to remove stay right.
        outer = [p for p in paths if not any(q != p and p[: len(q)] == q for q in paths)]
        for path in sorted(outer, key=lambda p: [(isinstance(step, int), step) for step in p], reverse=True):
            _remove(kept, path, selected)
        for name, complete in _COMPLETE_ITEMS.items():  # an item left incomplete goes whole
            items = kept.get(name)
            for index in reversed(range(len(items) if isinstance(items, list) else 0)):
                if not (isinstance(items[index], dict) and complete(items[index])):
                    _remove(kept, (name, index), selected)
    left = []
    for marking, paths_of in zip(markings, selected, strict=True):
        selectors = list(dict.fromkeys(".".join(_step(s) for s in p) for p in paths_of if p is not None))
        selectors = [s for s in selectors if selects(kept, selector_path(s) or ())]
        if selectors:
            left.append({**marking, "selectors": selectors})
    if left:
        kept["granular_markings"] = left
    return kept


# STIX 2.1 items that must hold something besides what granular markings may withhold: an
# external reference a source name and one of an id, a URL or a description (§2.5); a kill
# chain phase both its names (§2.8).
_COMPLETE_ITEMS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "external_references": lambda item: (
        "source_name" in item and any(name in item for name in ("external_id", "url", "description"))
    ),
    "kill_chain_phases": lambda item: "kill_chain_name" in item and "phase_name" in item,
}


def _step(step: str | int) -> str:
    return f"[{step}]" if isinstance(step, int) else step


def _remove(body: dict[str, Any], path: tuple[Any, ...], selected: list[list[Any]]) -> None:
    """Remove what ``path`` selects from ``body`` (and the containers it leaves empty, but the
    object itself); in ``selected``, drop the selectors of what went and renumber those of the
    later items of a shortened list, so that they keep selecting what they selected."""
    while path and selects(body, path):
        parent: Any = body
        for step in path[:-1]:
            parent = parent[step]
        del parent[path[-1]]
        _forget(path, selected)
        if isinstance(path[-1], int):
            _shift(path, selected)
        if parent or len(path) == 1:
            break
        path = path[:-1]  # an emptied list or object is not valid STIX: it goes too


def _shift(path: tuple[Any, ...], selected: list[list[Any]]) -> None:
    """Selectors of the items after ``path`` in its list, one place earlier."""
    depth, index = len(path) - 1, path[-1]
    for paths_of in selected:
        for n, p in enumerate(paths_of):
            if p is not None and len(p) > depth and p[:depth] == path[:depth]:
                step = p[depth]
                if isinstance(step, int) and step > index:
                    paths_of[n] = (*p[:depth], step - 1, *p[depth + 1 :])


def _forget(path: tuple[Any, ...], selected: list[list[Any]]) -> None:
    """Drop the selectors of what ``path`` removed (it, or anything under it)."""
    for paths_of in selected:
        for n, p in enumerate(paths_of):
            if p is not None and p[: len(path)] == path:
                paths_of[n] = None
