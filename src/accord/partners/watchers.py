"""What the apps above partners learn of a change to an organisation's partnership, around it.

An agreement activated, suspended, amended or ended, and an organisation suspended or
reinstated, change what shared data organisations may receive. Partners knows nothing of that
data; the store (``accord.sharing``) registers a watcher in its ``AppConfig.ready``, and every
such service runs its change inside :func:`partnership_change`, so that each watcher sees the
state before the change and the state after it, in the same transaction::

    register_partnership_watcher(watch)  # watch(organisation_id=…, agreement_id=…, alters_views=…) -> a context manager

A change the service knows leaves every organisation's view as it was (an amendment keeping the
terms and whether the agreement is in force now: a note, a renewal) says so with
``alters_views=False``: comparing the views before and after reads every version the
organisation may receive (seconds at a million objects) to find nothing.

Time changes them too: an agreement's window opens or ends with no service to run. The daily
``agreements_sweep`` calls :func:`windows_pass` first, and the store registers what records the
edges that have passed (:func:`register_window_watcher`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime

__all__ = [
    "PartnershipWatcher",
    "partnership_change",
    "register_partnership_watcher",
    "register_window_watcher",
    "windows_pass",
]

# Called with the organisation whose partnership changes, when one agreement changes its id, and
# whether the change may alter what organisations may receive.
PartnershipWatcher = Callable[..., AbstractContextManager[None]]

_WATCHERS: list[PartnershipWatcher] = []
# Called with ``now=``: record what the windows' edges passed by then changed.
_WINDOW_WATCHERS: list[Callable[..., object]] = []


def register_partnership_watcher(watcher: PartnershipWatcher) -> None:
    """Have ``watcher`` around every change to a partnership (registering it again changes nothing)."""
    if watcher not in _WATCHERS:
        _WATCHERS.append(watcher)


@contextmanager
def partnership_change(
    *, organisation_id: int, agreement_id: int | None = None, alters_views: bool = True
) -> Iterator[None]:
    """Run a change to ``organisation_id``'s partnership (its agreement ``agreement_id``, if
    one) inside every registered watcher; ``alters_views=False`` when the change leaves what
    every organisation may receive as it was."""
    with ExitStack() as stack:
        for watcher in _WATCHERS:
            stack.enter_context(
                watcher(organisation_id=organisation_id, agreement_id=agreement_id, alters_views=alters_views)
            )
        yield


def register_window_watcher(watcher: Callable[..., object]) -> None:
    """Have ``watcher(now=…)`` called when the agreements are swept (registering it again changes nothing)."""
    if watcher not in _WINDOW_WATCHERS:
        _WINDOW_WATCHERS.append(watcher)


def windows_pass(*, now: datetime) -> None:
    """Tell every registered window watcher that time has reached ``now``."""
    for watcher in _WINDOW_WATCHERS:
        watcher(now=now)
