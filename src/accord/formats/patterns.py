"""Indicator patterns: the (object type, property path, value) of each comparison that names an
observable. Patterns made only of equality comparisons joined by ``AND`` / ``OR`` take a fast
path of regular expressions; anything else is parsed by ``stix2-patterns``, which also rejects
invalid patterns.
"""

from __future__ import annotations

import re

from stix2patterns.pattern import ParseException, Pattern

from accord.formats.observables import HASH_NAMES, NUMERIC, PATH_TO_TYPE

__all__ = ["fast_comparisons", "hash_path", "parsed_comparisons"]

SIMPLE_COMPARISON = re.compile(r"\[\s*([a-z0-9-]+):([A-Za-z0-9_.'\-]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]")
_EQUALS = r"([a-z0-9-]+):([A-Za-z0-9_.'\-]+)\s*=\s*'((?:[^'\\]|\\.)*)'"
COMPARISON = re.compile(_EQUALS)
# An observation expression of equality comparisons joined by AND / OR, without parentheses.
OBSERVATION = re.compile(rf"\[\s*{_EQUALS}(?:\s+(?:AND|OR)\s+{_EQUALS})*\s*\]")
SKELETON = re.compile(r"\s*(X|\(|\)|AND\b|OR\b|\S+)")
ESCAPED = re.compile(r"\\(['\\])")  # STIX patterning §9.2: \' and \\ inside a string
# Comparison operators whose value names an observable: equality, and for addresses a network.
EQUALS = frozenset({"="})
SUBSET = frozenset({"=", "ISSUBSET"})


def _path_key(path: str) -> str:
    return hash_path(path.replace("'", ""))


def hash_path(path: str) -> str:
    """``hashes.<name>`` with the name as STIX's hash-algorithm vocabulary spells it."""
    if path.startswith("hashes."):
        name = path[7:]
        return "hashes." + HASH_NAMES.get(name.upper(), name)
    return path


def _unquote(value: str) -> str:
    return ESCAPED.sub(r"\1", value) if "\\" in value else value


def fast_comparisons(pattern: str) -> list[tuple[str, str, str]] | None:
    """The (object type, property path, value) of each comparison of a pattern made only of
    equality comparisons joined by ``AND`` / ``OR``, in observation expressions joined by ``AND``
    / ``OR`` and parentheses: most indicators, read without the full parser (which costs a
    hundred times more). ``None`` for any other pattern, which :func:`parsed_comparisons` reads."""
    one = SIMPLE_COMPARISON.fullmatch(pattern)  # most indicators are one comparison
    if one:
        kind, path, value = one.groups()
        return [(kind, _path_key(path), _unquote(value))]
    observations = [found.group(0) for found in OBSERVATION.finditer(pattern)]
    if not observations or not _well_joined(OBSERVATION.sub(" X ", pattern)):
        return None
    return [(t, _path_key(p), _unquote(v)) for found in observations for t, p, v in COMPARISON.findall(found)]


def _well_joined(skeleton: str) -> bool:
    """Whether observation expressions (``X``) are joined as the grammar allows: ``X``, ``(e)``,
    ``e AND e``, ``e OR e``; anything else (qualifiers, FOLLOWEDBY, stray text) is not."""
    tokens = SKELETON.findall(skeleton.rstrip())
    position = 0

    def expression() -> bool:
        nonlocal position
        while True:
            if position < len(tokens) and tokens[position] == "(":
                position += 1
                if not expression() or position >= len(tokens) or tokens[position] != ")":
                    return False
                position += 1
            elif position < len(tokens) and tokens[position] == "X":
                position += 1
            else:
                return False
            if position < len(tokens) and tokens[position] in ("AND", "OR"):
                position += 1
                continue
            return True

    return expression() and position == len(tokens)


def parsed_comparisons(pattern: str) -> list[tuple[str, str, str]] | str:
    """The comparisons of any pattern that name an observable (equality; for addresses also
    ``ISSUBSET``), read by ``stix2-patterns``; what is wrong when it cannot parse it."""
    try:
        inspected = Pattern(pattern).inspect()
    except (ParseException, ValueError, TypeError, AttributeError) as exc:
        return str(exc)
    comparisons = []
    for object_type, terms in inspected.comparisons.items():
        for path, operator, value in terms:
            # list indexes ([*], [0]) are left out of the path: any element counts
            key = hash_path(".".join(p for p in path if isinstance(p, str)))
            kind = PATH_TO_TYPE.get((object_type, key))
            if kind is None or not isinstance(value, str):
                continue
            if operator not in (SUBSET if kind in ("ipv4", "ipv6") else EQUALS):
                continue
            if value.startswith("'") and value.endswith("'"):
                comparisons.append((object_type, key, _unquote(value[1:-1])))
            elif kind in NUMERIC and value.isdigit():
                comparisons.append((object_type, key, value))
    return comparisons
