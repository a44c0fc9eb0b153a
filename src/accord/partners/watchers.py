"""What the apps above partners learn of a change to an organisation's partnership, around it.

An agreement activated, suspended, amended or ended, and an organisation suspended or
reinstated, change what shared data organisations may receive. Partners knows nothing of that
data; the store (``accord.sharing``) registers a watcher in its ``AppConfig.ready``, and every
such service runs its change inside :func:`partnership_change`, so that each watcher sees the
state before the change and the state after it, in the same transaction::

    register_partnership_watcher(watch)  # watch(organisation_id=…, agreement_id=…) -> a context manager
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager

__all__ = ["PartnershipWatcher", "partnership_change", "register_partnership_watcher"]

# Called with the organisation whose partnership changes and, when one agreement changes, its id.
PartnershipWatcher = Callable[..., AbstractContextManager[None]]

_WATCHERS: list[PartnershipWatcher] = []


def register_partnership_watcher(watcher: PartnershipWatcher) -> None:
    """Have ``watcher`` around every change to a partnership (registering it again changes nothing)."""
    if watcher not in _WATCHERS:
        _WATCHERS.append(watcher)


@contextmanager
def partnership_change(*, organisation_id: int, agreement_id: int | None = None) -> Iterator[None]:
    """Run a change to ``organisation_id``'s partnership (its agreement ``agreement_id``, if
    one) inside every registered watcher."""
    with ExitStack() as stack:
        for watcher in _WATCHERS:
            stack.enter_context(watcher(organisation_id=organisation_id, agreement_id=agreement_id))
        yield
