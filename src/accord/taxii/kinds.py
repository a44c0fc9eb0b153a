"""The kinds of collection and the keys of a collection's spec: a registry the apps above TAXII
fill, so that TAXII serves their collections without importing them.

TAXII knows its own kinds (``inbox``, ``all``, ``region``) and the spec keys that are lookups on
the shared store (:data:`~accord.taxii.choices.SPEC_FIELDS`). An app whose records have a
collection registers its kind at start-up (``AppConfig.ready``), saying whether the
collection's ``readers`` narrow who may read it; an app that gives a spec key its meaning
registers the key with the objects a value of it holds::

    from accord.taxii.kinds import register_collection_kind, register_spec_key

    register_collection_kind(CollectionKind.REPORT, readers=True)
    register_spec_key("campaign", names=True, condition=lambda ids: Q(pk__in=...), check=...)

The analysis app registers ``report`` and ``campaign`` (a campaign's members, looked up when the
collection is read); the operations app registers ``operation``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from accord.taxii.choices import SPEC_FIELDS, CollectionKind

__all__ = [
    "SpecKey",
    "in_collection",
    "names_objects",
    "is_naming_key",
    "kind_has_readers",
    "known_kinds",
    "register_collection_kind",
    "register_spec_key",
    "spec_condition",
    "spec_key_names",
    "spec_value_errors",
]


@dataclass(frozen=True)
class SpecKey:
    """A spec key an app gives its meaning: the objects its values hold (``condition``, a
    condition on :class:`~accord.sharing.models.StixObject`), whether it names objects (OR-ed
    with the other naming keys, as ``stix_id``) or narrows them (AND-ed), and what is wrong with
    a list of its values (``check`` answers ``""`` when nothing is)."""

    condition: Callable[[list[Any]], Q]
    names: bool = False
    check: Callable[[list[Any]], str] | None = None


# TAXII's own kinds; the apps above add theirs. Kind -> whether its readers narrow who may read.
_KINDS: dict[str, bool] = {CollectionKind.INBOX: False, CollectionKind.ALL: False, CollectionKind.REGION: False}
_KEYS: dict[str, SpecKey] = {}
# Of TAXII's own keys, the one that names objects.
_OWN_NAMING = frozenset({"stix_id"})


def register_collection_kind(kind: str, *, readers: bool = False) -> None:
    """Make ``kind`` (a :class:`~accord.taxii.choices.CollectionKind` value) one collections may
    have; with ``readers``, a collection of it that names readers is read by them (and host
    staff) only. Registering the same kind again replaces it."""
    _KINDS[kind] = readers


def register_spec_key(
    key: str,
    *,
    condition: Callable[[list[Any]], Q],
    names: bool = False,
    check: Callable[[list[Any]], str] | None = None,
) -> None:
    """Let collection specs use ``key``, whose values hold the objects ``condition`` gives.
    Registering the same key again replaces it; TAXII's own keys cannot be replaced."""
    if key in SPEC_FIELDS:
        raise ValueError(f"{key!r} is one of TAXII's own spec keys.")
    _KEYS[key] = SpecKey(condition=condition, names=names, check=check)


def known_kinds() -> list[str]:
    """The kinds collections may have now, in the order of :class:`~accord.taxii.choices.CollectionKind`."""
    return [kind for kind in CollectionKind.values if kind in _KINDS]


def kind_has_readers(kind: str) -> bool:
    """Whether a collection of ``kind`` may name the organisations that alone may read it."""
    return _KINDS.get(kind, False)


def spec_key_names() -> list[str]:
    """Every key a spec may use: TAXII's own, then the registered ones."""
    return [*SPEC_FIELDS, *_KEYS]


def is_naming_key(key: str) -> bool:
    """Whether ``key`` names objects (its objects are held, OR-ed with the other naming keys')
    rather than narrowing them (AND)."""
    return key in _OWN_NAMING or (key in _KEYS and _KEYS[key].names)


def spec_condition(key: str, values: list[Any]) -> Q:
    """The condition on shared objects that ``key: values`` of a spec stands for."""
    if key in SPEC_FIELDS:
        return Q(**{SPEC_FIELDS[key]: values})
    return _KEYS[key].condition(values)


def spec_value_errors(key: str, values: list[Any]) -> str:
    """What the registered check of ``key`` finds wrong with ``values`` (``""`` if nothing)."""
    found = _KEYS.get(key)
    return found.check(values) if found is not None and found.check is not None else ""


def names_objects(spec: dict[str, Any]) -> bool:
    """Whether a spec names objects (a naming key such as ``stix_id`` or ``campaign``): what
    such a collection holds changes as objects are linked and unlinked, join and leave, and it
    dates each version by when it joined (:class:`~accord.taxii.models.Membership`)."""
    return any(is_naming_key(key) for key in spec)


def in_collection(organisation_id: int | None, spec: dict[str, Any], qs: QuerySet[Any]) -> QuerySet[Any]:
    """The objects of ``qs`` a collection holds (an inbox's ``organisation_id``, its ``spec``):
    those any naming key (``stix_id``, ``campaign``) names, narrowed by every other key."""
    if organisation_id is not None:  # an inbox: what its organisation shared
        qs = qs.filter(organisation_id=organisation_id)
    named = Q()
    narrowing = Q()
    for key, values in spec.items():
        # An empty list holds nothing: a condition SQL can say (an empty IN cannot be compiled).
        condition = spec_condition(key, values) if values else _NOTHING
        if is_naming_key(key):
            named |= condition
        else:
            narrowing &= condition
    return qs.filter(named, narrowing)


_NOTHING = Q(pk__isnull=True)  # no row's key is empty
