"""What other apps learn of changes to the store, inside the transaction that makes them.

The store knows nothing of analysis; the apps that keep derived data (correlation, campaigns)
subclass :class:`StoreListener` and are named in ``ACCORD_STORE_LISTENERS``. Each call runs in
the writer's transaction, so derived data commits or rolls back with the change itself: an
ingest that fails leaves no correlation behind, and one that succeeds is correlated already.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

__all__ = [
    "StoreListener",
    "notify_added",
    "notify_leaving",
    "notify_removed",
    "notify_visibility",
    "prepare_listeners",
    "store_listeners",
]


class StoreListener(ABC):
    """Told of object versions written to the store and of those leaving it."""

    @abstractmethod
    def objects_added(
        self,
        *,
        organisation_id: int,
        objects: Sequence[tuple[int, str]],
        links: Sequence[tuple[int, int]],
        new_observables: Collection[int],
    ) -> None:
        """New object versions (id, STIX type) of one organisation were written, with their
        (object, observable) links (each pair once); ``new_observables`` were created with them
        (nothing mentioned them before)."""

    @abstractmethod
    def objects_removed(self, *, objects: Collection[int], observables: Collection[int]) -> None:
        """Object versions were revoked or purged; ``observables`` are those they mentioned."""

    def objects_leaving(self, *, objects: Collection[int], observables: Collection[int]) -> None:  # noqa: B027
        """Object versions are about to be revoked or purged: still stored as they were (a listener
        that keeps counts by their attributes reads them here; those revoked already are among
        them when purged); ``observables`` are those they mention. Optional."""

    def visibility_changed(self, *, objects: Collection[int]) -> None:  # noqa: B027 - optional
        """Object versions already stored may be seen now by readers who did not see them, or no
        longer by some who did (addressed to more organisations, kept longer, included in a
        report sent); nothing else about them changed."""

    def prepare(self) -> None:  # noqa: B027 - optional: most listeners have nothing to load
        """Load what the first call would otherwise load (a server worker calls it at start,
        so that no submission pays for it)."""


@cache
def store_listeners() -> tuple[StoreListener, ...]:
    """One instance of each class named in ``ACCORD_STORE_LISTENERS``."""
    return tuple(import_string(path)() for path in settings.ACCORD_STORE_LISTENERS)


def prepare_listeners() -> None:
    for listener in store_listeners():
        listener.prepare()


def notify_added(
    *,
    organisation_id: int,
    objects: Sequence[tuple[int, str]],
    links: Sequence[tuple[int, int]],
    new_observables: Collection[int] = (),
) -> None:
    for listener in store_listeners():
        listener.objects_added(
            organisation_id=organisation_id, objects=objects, links=links, new_observables=new_observables
        )


def notify_leaving(*, objects: Collection[int], observables: Collection[int]) -> None:
    if not objects:
        return
    for listener in store_listeners():
        listener.objects_leaving(objects=objects, observables=observables)


def notify_removed(*, objects: Collection[int], observables: Collection[int]) -> None:
    if not objects:
        return
    for listener in store_listeners():
        listener.objects_removed(objects=objects, observables=observables)


def notify_visibility(*, objects: Collection[int]) -> None:
    if not objects:
        return
    for listener in store_listeners():
        listener.visibility_changed(objects=objects)
