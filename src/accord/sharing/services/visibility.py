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

Time changes visibility too, with no service to watch: an agreement's window opens or ends
(the policy reads the windows itself, to the second). :func:`visibility_windows_pass` compares
the organisation's view just before each edge that has passed with its view at the edge, once
per edge (a :class:`WindowPassage`); every watch looks for such edges first, so that its own
"before" is what readers were last told, and ``accord worker`` looks every round (the daily
``agreements_sweep`` too).

Listeners (a webhook, a notification) hear of every published change through the
``visibility_published`` signal, sent after its rows are dated, with the change's id.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Model, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from accord.core.choices import Purpose
from accord.core.models import Organisation
from accord.partners.choices import AgreementKind, AgreementStatus
from accord.partners.models import Agreement, AgreementVersion
from accord.policy import Action, PrincipalContext, principal_context, visible
from accord.sharing.bulk import insert_rows, upsert_rows
from accord.sharing.models import Arrival, StixObject, VisibilityChange, WindowPassage, Withdrawal

__all__ = [
    "Scope",
    "partnership_watch",
    "register_dated_rows",
    "visibility_publish",
    "visibility_published",
    "visibility_watch",
    "visibility_windows_pass",
]

# Sent once a change's arrivals and withdrawals are dated (after its commit), with ``change_id``
# (a :class:`VisibilityChange`); read its ``Withdrawal`` rows (``change_id``, ``organisation``,
# ``stix_object``, ``withdrawn_at``) or ``Arrival`` rows. A receiver runs outside any
# transaction; what it raises is logged and does not stop the publication.
visibility_published = Signal()

logger = logging.getLogger(__name__)

# Rows of the apps above the store that a change's publication dates too (a model with a
# ``change`` foreign key, and its date field): TAXII's collection joins and departures.
_DATED: list[tuple[type[Model], str]] = []


def register_dated_rows(model: type[Model], field: str) -> None:
    """Have every publication stamp ``field`` of ``model``'s rows of the change it publishes, in
    the same transaction and with the same moment as its arrivals and withdrawals (an app above
    the store registers in its ``AppConfig.ready``)."""
    if (model, field) not in _DATED:
        _DATED.append((model, field))


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


def _contexts(organisations: Iterable[int] | None, now: datetime | None = None) -> dict[int, PrincipalContext]:
    """The policy's view of each organisation at ``now`` (its status and agreements as they
    stand; their windows read at ``now``, by default the present)."""
    rows = Organisation.objects.all() if organisations is None else Organisation.objects.filter(pk__in=organisations)
    return {org.pk: principal_context(_Reader(org), now) for org in rows.order_by("pk")}


def _receivable(ctx: PrincipalContext, objects: QuerySet[StixObject]) -> QuerySet[StixObject]:
    """The versions of ``objects`` the organisation of ``ctx`` may receive, for any purpose."""
    found: QuerySet[StixObject] | None = None
    for purpose in Purpose.values:
        one = visible(ctx, objects, ACTION, purpose)
        found = one if found is None else found | one
    assert found is not None  # noqa: S101 - there are purposes
    return found


_VIEW_NUMBERS = itertools.count()


class _View:
    """Per organisation, the versions it may receive in a change's scopes at one moment, kept
    in a temporary table of the database, not in this process: an organisation's whole view is
    millions of versions in a large store, and only the difference between two views (what the
    change did) is read back. Dropped when left."""

    def __init__(self) -> None:
        """An empty view: its table made."""
        self.table = connection.ops.quote_name(f"_accord_view_{next(_VIEW_NUMBERS)}")
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {self.table} (org integer NOT NULL, obj bigint NOT NULL)")

    def fill(self, scopes: Iterable[Scope], before: datetime, now: datetime | None = None) -> None:
        """The view of ``scopes`` (at ``now``, by default the present), of the versions added
        before ``before``."""
        with connection.cursor() as cursor:
            for scope in scopes:
                objects = StixObject.objects.filter(scope.objects, added_at__lt=before)
                for org, ctx in _contexts(scope.organisations, now).items():
                    try:
                        sql, params = _receivable(ctx, objects).values("pk").order_by().query.sql_with_params()
                    except EmptyResultSet:  # the policy lets nothing through: no statement to run
                        continue
                    cursor.execute(
                        f"INSERT INTO {self.table} (org, obj) SELECT %s, seen.* FROM ({sql}) seen",  # noqa: S608 - our SQL
                        [org, *params],
                    )

    def changes_to(self, later: _View) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The (organisation, version) pairs ``later`` holds and this view lacks (arrived), and
        those this view holds and ``later`` lacks (withdrawn), each in that order. PostgreSQL
        takes both from one hashed full join of the two tables (a pair is in a table once per
        scope that holds it: hence ``DISTINCT``); its ``EXCEPT`` sorted both tables twice, 1 s for
        640,000 rows each time. SQLite's ``EXCEPT`` uses a temporary index."""
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                found = []
                for first, second in ((later, self), (self, later)):
                    cursor.execute(
                        f"SELECT org, obj FROM {first.table} EXCEPT SELECT org, obj FROM {second.table} ORDER BY 1, 2"  # noqa: S608
                    )
                    found.append([(org, pk) for org, pk in cursor.fetchall()])
                return found[0], found[1]
            for view in (self, later):  # no statistics otherwise: temporary tables are not analysed
                cursor.execute(f"ANALYZE {view.table}")
            cursor.execute(
                f"SELECT DISTINCT COALESCE(was.org, now.org), COALESCE(was.obj, now.obj), was.obj IS NULL "  # noqa: S608
                f"FROM {self.table} was FULL JOIN {later.table} now ON was.org = now.org AND was.obj = now.obj "
                "WHERE was.obj IS NULL OR now.obj IS NULL ORDER BY 1, 2"
            )
            arrived: list[tuple[int, int]] = []
            withdrawn: list[tuple[int, int]] = []
            for org, pk, new in cursor.fetchall():
                (arrived if new else withdrawn).append((org, pk))
            return arrived, withdrawn

    def drop(self) -> None:
        """Drop the table; within a transaction a failure aborted, leave it to the rollback,
        which takes the table's creation with it."""
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        except DatabaseError:
            if not connection.in_atomic_block:
                raise


@contextmanager
def _compared(
    scopes: Iterable[Scope], before: datetime, at: datetime | None, after_at: datetime | None
) -> Iterator[Callable[[], tuple[list[tuple[int, int]], list[tuple[int, int]]]]]:
    """The view of ``scopes`` (of versions added before ``before``) at ``at`` taken now, and a
    function that takes it again at ``after_at`` and gives what arrived and what was withdrawn
    between them; both views dropped after."""
    scopes = tuple(scopes)
    views: list[_View] = []
    try:
        views.append(_View())  # kept before it is filled: a failure while filling still drops it
        views[0].fill(scopes, before, at)

        def difference() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
            views.append(_View())
            views[1].fill(scopes, before, after_at)
            return views[0].changes_to(views[1])

        yield difference
    finally:
        for view in views:
            view.drop()


# The arrivals and withdrawals recorded by the watches run within the current one.
_recorded: ContextVar[set[tuple[str, int, int]] | None] = ContextVar("accord_visibility_recorded", default=None)


@contextmanager
def visibility_watch(*, cause: str, scopes: Iterable[Scope], kind: str = VisibilityChange.Kind.OTHER) -> Iterator[None]:
    """Run a change (inside the caller's transaction) and record what it made visible to, or
    hid from, each organisation of ``scopes``; published once the transaction commits."""
    visibility_windows_pass()  # what time changed first: this change's "before" is what readers were told
    started = timezone.now()
    outer, inner = _recorded.get(), set[tuple[str, int, int]]()
    with _compared(scopes, started, None, None) as difference:
        token = _recorded.set(inner)
        try:
            yield
        finally:
            _recorded.reset(token)
        arrived, withdrawn = difference()
    # What a watch run within this one recorded is not recorded again (a partnership's end ends
    # each of its agreements, each watched): one arrival or withdrawal per change of view.
    _record(cause, arrived, withdrawn, inner, outer, kind)


def _record(
    cause: str,
    arrived: list[tuple[int, int]],
    withdrawn: list[tuple[int, int]],
    inner: set[tuple[str, int, int]],
    outer: set[tuple[str, int, int]] | None,
    kind: str = VisibilityChange.Kind.OTHER,
) -> VisibilityChange | None:
    """Record what arrived and what was withdrawn (organisation, version) as one change (none
    when nothing did), less what ``inner`` holds; tell ``outer`` (the watch this one runs
    within) what was recorded."""
    arrived = [(org, pk) for org, pk in arrived if ("arrived", org, pk) not in inner]
    withdrawn = [(org, pk) for org, pk in withdrawn if ("withdrawn", org, pk) not in inner]
    if outer is not None:
        outer |= inner
        outer.update(("arrived", org, pk) for org, pk in arrived)
        outer.update(("withdrawn", org, pk) for org, pk in withdrawn)
    if not arrived and not withdrawn:
        return None
    change = VisibilityChange.objects.create(
        cause=cause[:200], kind=kind, arrivals=len(arrived), withdrawals=len(withdrawn)
    )
    # As rows, not models: a withdrawal of every version an organisation received is hundreds of
    # thousands of them at a million objects (20 s through the ORM, most of it making models).
    columns = ("organisation_id", "stix_object_id", "change_id")
    upsert_rows(
        Arrival._meta.db_table,
        columns,
        ((org, pk, change.pk) for org, pk in arrived),
        key=("stix_object_id", "organisation_id"),
        update=("change_id",),
    )
    insert_rows(Withdrawal._meta.db_table, columns, ((org, pk, change.pk) for org, pk in withdrawn))
    transaction.on_commit(visibility_publish)
    return change


def _edges_due(now: datetime) -> list[tuple[datetime, str, AgreementVersion]]:
    """The window edges of data-sharing agreements' versions in force that have passed by
    ``now`` and are not recorded yet, in time order. An edge before its version existed is no
    edge: the change that made the version (an amendment, watched) saw that window already."""
    in_force = Agreement.objects.filter(kind=AgreementKind.DATA_SHARING, current_version__isnull=False)
    versions = (
        AgreementVersion.objects.filter(pk__in=in_force.values("current_version"))
        .filter(
            Q(valid_from__gt=F("created_at"), valid_from__lte=now)
            | Q(valid_until__gt=F("created_at"), valid_until__lte=now)
        )
        .select_related("agreement")
    )
    candidates: list[tuple[datetime, str, AgreementVersion]] = []
    for version in versions:
        if version.created_at < version.valid_from <= now:
            candidates.append((version.valid_from, WindowPassage.Edge.OPENS, version))
        if version.valid_until is not None and version.created_at < version.valid_until <= now:
            candidates.append((version.valid_until, WindowPassage.Edge.ENDS, version))
    if not candidates:
        return []
    seen = set(
        WindowPassage.objects.filter(version__in=[v for _, _, v in candidates]).values_list("version_id", "edge")
    )
    due = [(at, edge, version) for at, edge, version in candidates if (version.pk, edge) not in seen]
    return sorted(due, key=lambda item: (item[0], item[2].pk, item[1]))


def visibility_windows_pass(*, now: datetime | None = None) -> int:
    """Record what the passing of time did to what organisations may receive: for each edge of
    an agreement's window that has passed by ``now`` (never past the present) and is not
    recorded yet, the organisation's view just before it is compared with its view at it
    (objects added before it), as a change of its own. Each edge is recorded once, however late
    or often this runs (a :class:`WindowPassage` row, taken first: a concurrent run waits for it
    and passes on). Before every watched change, every round of ``accord worker``, and the daily
    ``agreements_sweep``. How many edges it recorded."""
    present = timezone.now()
    moment = min(now, present) if now is not None else present
    due = _edges_due(moment)
    if not due:
        return 0
    recorded = 0
    with transaction.atomic():
        for at, edge, version in due:
            passage, created = WindowPassage.objects.get_or_create(version=version, edge=edge, defaults={"at": at})
            if not created:
                continue  # another run recorded it
            recorded += 1
            agreement = version.agreement
            if agreement.status != AgreementStatus.ACTIVE:
                continue  # not in force either side of the edge: nothing changes
            scopes = [Scope((agreement.organisation_id,), Q())]
            with _compared(scopes, at, at - timedelta(microseconds=1), at) as difference:
                arrived, withdrawn = difference()
            verb = "opened" if edge == WindowPassage.Edge.OPENS else "ended"
            change = _record(f"{agreement.reference}'s window {verb}", arrived, withdrawn, set(), _recorded.get())
            if change is not None:
                passage.change = change
                passage.save(update_fields=["change"])
    return recorded


def partnership_watch(
    *, organisation_id: int, agreement_id: int | None = None, alters_views: bool = True
) -> AbstractContextManager[None]:
    """The watcher the partners' services run their changes in
    (:func:`accord.partners.watchers.register_partnership_watcher`): what the organisation may
    receive (as a recipient), and, when one agreement changes, who may receive what was shared
    under it (its terms bind the originator's objects onward). A change that alters no view
    compares none; the edges time passed are still recorded first, while the versions they
    belong to are current."""
    if not alters_views:
        visibility_windows_pass()
        return nullcontext()
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
            for model, name in _DATED:
                model._default_manager.filter(change_id=pk).update(**{name: stamp})
            VisibilityChange.objects.filter(pk=pk).update(status=VisibilityChange.Status.DONE, published_at=stamp)
        published += 1
        for receiver, error in visibility_published.send_robust(sender=VisibilityChange, change_id=pk):
            if isinstance(error, Exception):
                logger.error("visibility_published receiver %r failed for change %s", receiver, pk, exc_info=error)
    return published
