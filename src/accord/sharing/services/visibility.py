"""What organisations may receive, before and after a change: late arrivals and withdrawals.

An object version keeps the ``date_added`` of its ingest, but it may become visible to an
organisation later: its agreement (re)activated or amended, the originator's agreement amended
to share with more kinds of organisation or regions, the object addressed to one more
organisation, restored after a revocation, kept longer. A TAXII client that polls with
``added_after`` would never receive it. So every service that may change who receives what runs
its change inside :func:`visibility_watch`: the versions each organisation concerned may receive
(through :func:`accord.policy.visible`, as a TAXII read or an export decides) are read before
and after the change, in its transaction; what appeared is recorded as an :class:`Arrival` (the
version was added to that organisation's view), what disappeared as a :class:`Withdrawal`.

Both are dated when the change is published (:func:`visibility_publish`), after it committed:
the change is marked ``publishing`` first, in its own transaction, and TAXII reads hold back
what is dated after the earliest publication in progress, as they do for ingests. No reader can
have been handed a position past a date stamped later, so nothing is skipped.

Only what exists before the change is compared: a version the change itself adds (a report's
STIX object) is added on time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.core.choices import Purpose
from accord.core.models import Organisation
from accord.policy import Action, PrincipalContext, principal_context, visible
from accord.sharing.bulk import chunks
from accord.sharing.models import Arrival, StixObject, VisibilityChange, Withdrawal

__all__ = ["Scope", "partnership_watch", "visibility_publish", "visibility_watch"]

ACTION = Action.EXPORT  # what leaves the platform for a partner's own tools: TAXII, exports, feeds


@dataclass(frozen=True)
class Scope:
    """Where a change may alter visibility: the organisations whose view to compare (``None``:
    every organisation) over the object versions ``objects`` selects."""

    organisations: tuple[int, ...] | None
    objects: Q


@dataclass(frozen=True)
class _Reader:
    """An organisation as the policy sees any reader of it through TAXII (no named person, so
    nothing marked TLP:RED: it never leaves the platform anyway)."""

    organisation: Organisation
    pk: int = 0
    role: str = "partner_reader"
    is_authenticated: bool = True
    is_active: bool = True


def _contexts(organisations: Iterable[int] | None) -> dict[int, PrincipalContext]:
    """The policy's view of each organisation now (its status and agreements as they stand)."""
    rows = Organisation.objects.all() if organisations is None else Organisation.objects.filter(pk__in=organisations)
    return {org.pk: principal_context(_Reader(org)) for org in rows.order_by("pk")}


def _receivable(ctx: PrincipalContext, objects: QuerySet[StixObject]) -> set[int]:
    """The versions of ``objects`` the organisation of ``ctx`` may receive, for any purpose."""
    found: QuerySet[StixObject] | None = None
    for purpose in Purpose.values:
        one = visible(ctx, objects, ACTION, purpose)
        found = one if found is None else found | one
    assert found is not None  # noqa: S101 - there are purposes
    return set(found.values_list("pk", flat=True))


def _views(scopes: Iterable[Scope], before: datetime) -> dict[int, set[int]]:
    """Per organisation, the versions it may receive in any of ``scopes``, of those added
    before ``before``."""
    views: dict[int, set[int]] = {}
    for scope in scopes:
        objects = StixObject.objects.filter(scope.objects, added_at__lt=before)
        for org, ctx in _contexts(scope.organisations).items():
            views.setdefault(org, set()).update(_receivable(ctx, objects))
    return views


# The arrivals and withdrawals recorded by the watches run within the current one.
_recorded: ContextVar[set[tuple[str, int, int]] | None] = ContextVar("accord_visibility_recorded", default=None)


@contextmanager
def visibility_watch(*, cause: str, scopes: Iterable[Scope]) -> Iterator[None]:
    """Run a change (inside the caller's transaction) and record what it made visible to, or
    hid from, each organisation of ``scopes``; published once the transaction commits."""
    scopes = tuple(scopes)
    started = timezone.now()
    outer, inner = _recorded.get(), set[tuple[str, int, int]]()
    token = _recorded.set(inner)
    try:
        before = _views(scopes, started)
        yield
        after = _views(scopes, started)
    finally:
        _recorded.reset(token)
    # What a watch run within this one recorded is not recorded again (a partnership's end ends
    # each of its agreements, each watched): one arrival or withdrawal per change of view.
    arrived = [
        (org, pk)
        for org, seen in after.items()
        for pk in sorted(seen - before.get(org, set()))
        if ("arrived", org, pk) not in inner
    ]
    withdrawn = [
        (org, pk)
        for org, seen in before.items()
        for pk in sorted(seen - after.get(org, set()))
        if ("withdrawn", org, pk) not in inner
    ]
    if outer is not None:
        outer |= inner
        outer.update(("arrived", org, pk) for org, pk in arrived)
        outer.update(("withdrawn", org, pk) for org, pk in withdrawn)
    if not arrived and not withdrawn:
        return
    change = VisibilityChange.objects.create(cause=cause[:200], arrivals=len(arrived), withdrawals=len(withdrawn))
    for part in chunks(arrived):
        Arrival.objects.bulk_create(
            [Arrival(organisation_id=org, stix_object_id=pk, change=change) for org, pk in part],
            update_conflicts=True,
            unique_fields=["stix_object", "organisation"],
            update_fields=["change"],
        )
    for part in chunks(withdrawn):
        Withdrawal.objects.bulk_create(
            [Withdrawal(organisation_id=org, stix_object_id=pk, change=change) for org, pk in part]
        )
    transaction.on_commit(visibility_publish)


def partnership_watch(*, organisation_id: int, agreement_id: int | None = None) -> AbstractContextManager[None]:
    """The watcher the partners' services run their changes in
    (:func:`accord.partners.watchers.register_partnership_watcher`): what the organisation may
    receive (as a recipient), and, when one agreement changes, who may receive what was shared
    under it (its terms bind the originator's objects onward)."""
    scopes = [Scope((organisation_id,), Q())]
    if agreement_id is not None and StixObject.objects.filter(agreement_id=agreement_id).exists():
        scopes.append(Scope(None, Q(agreement_id=agreement_id)))
    return visibility_watch(cause=f"partnership of organisation {organisation_id}", scopes=scopes)


def _claimable(now: datetime) -> Q:
    """Changes to publish: committed and not yet published, or whose publication was begun and
    never finished (its process died)."""
    stuck = now - timedelta(seconds=settings.ACCORD_VISIBILITY_PRESUMED_DEAD_SECONDS)
    return Q(status=VisibilityChange.Status.PENDING) | Q(
        status=VisibilityChange.Status.PUBLISHING, started_at__lt=stuck
    )


def visibility_publish() -> int:
    """Date the arrivals and withdrawals of every change committed and not yet published (after
    each change commits, and in every round of ``accord worker`` for those whose process died
    first); how many changes it published. Outside any transaction: the mark that a publication
    is in progress must be committed before the date is taken."""
    if connection.in_atomic_block:
        transaction.on_commit(visibility_publish)
        return 0
    published = 0
    for pk in VisibilityChange.objects.filter(_claimable(timezone.now())).values_list("pk", flat=True):
        now = timezone.now()
        claimed = VisibilityChange.objects.filter(_claimable(now), pk=pk).update(
            status=VisibilityChange.Status.PUBLISHING, started_at=now
        )
        if not claimed:
            continue  # another worker has it
        with transaction.atomic():
            stamp = timezone.now()
            Arrival.objects.filter(change_id=pk).update(visible_at=stamp)
            Withdrawal.objects.filter(change_id=pk).update(withdrawn_at=stamp)
            VisibilityChange.objects.filter(pk=pk).update(status=VisibilityChange.Status.DONE, published_at=stamp)
        published += 1
    return published
