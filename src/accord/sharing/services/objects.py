"""Stored objects after ingest: an originator's revocation (and its undoing), addressees and
retention, the hosting organisation's own products, and the retention purge. Whatever changes
who may receive a version runs inside :func:`~accord.sharing.services.visibility.visibility_watch`,
so that TAXII pollers receive what became visible to them, and learn what was withdrawn.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import DataCategory
from accord.core.errors import NotFound, ValidationFailed
from accord.core.guards import invalid, require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.sharing.bulk import array_param, by_index, mentioned_by, select_in
from accord.sharing.cascade import delete_cascading
from accord.sharing.listeners import notify_added, notify_leaving, notify_removed, notify_visibility
from accord.sharing.models import ObjectObservable, Observable, StixObject, VisibilityChange
from accord.sharing.services.categories import _CATEGORY_BY_TYPE
from accord.sharing.services.visibility import Scope, visibility_watch

_LINKS = ObjectObservable._meta.db_table
_OBSERVABLES = Observable._meta.db_table


@transaction.atomic
def object_revoke(*, actor: User, stix_id: str, reason: str = "", versions: list[datetime] | None = None) -> int:
    """The originator withdraws an object: every version (or those ``modified`` at ``versions``)
    becomes invisible to all but auditors viewing it on the platform."""
    require(actor, Perm.SHARING_SUBMIT)
    chosen = StixObject.objects.select_for_update().filter(stix_id=stix_id, organisation=actor.organisation)
    if versions is not None:
        chosen = chosen.filter(modified__in=versions)
    pks = list(chosen.filter(revoked=False).values_list("pk", flat=True))
    mentioned = mentioned_by(pks)
    notify_leaving(objects=pks, observables=mentioned)
    revoked = VisibilityChange.Kind.REVOKED
    with visibility_watch(cause=f"{stix_id} revoked", scopes=[Scope(None, Q(pk__in=pks))], kind=revoked):
        count = StixObject.objects.filter(pk__in=pks).update(revoked=True, revoked_at=timezone.now())
    notify_removed(objects=pks, observables=mentioned)
    if count:
        audit_record(
            actor=actor,
            action="object.revoke",
            object_type="sharing.stixobject",
            object_id=stix_id,
            details={"versions": count, "modified": [f"{v:%Y-%m-%dT%H:%M:%S.%fZ}" for v in versions or ()]},
            justification=reason,
        )
    return count


def host_product(*, body: dict[str, Any], tlp: str) -> StixObject:
    """A product of the hosting organisation (a report's STIX object) as :func:`host_product_publish`
    stores it, not yet saved nor addressed: what the policy decides on for its addressees."""
    host = Organisation.objects.filter(is_host=True).first()
    if host is None:
        raise ValidationFailed("organisation: there is no hosting organisation to publish as (run accord init).")
    return StixObject(
        stix_id=body["id"],
        type=body["type"],
        spec_version=body.get("spec_version", "2.1"),
        created=datetime.fromisoformat(body["created"]),
        modified=datetime.fromisoformat(body["modified"]),
        body=body,
        organisation=host,
        tlp=tlp,
        data_category=_CATEGORY_BY_TYPE.get(body["type"], DataCategory.INCIDENT_REPORT),
        addressees_only=True,
    )


@transaction.atomic
def host_product_publish(
    *, actor: User | None, body: dict[str, Any], tlp: str, addressed_to: list[Organisation]
) -> StixObject:
    """Store a product of the hosting organisation (a disseminated report's STIX object) as one
    object version that reaches only the organisations it is addressed to, whatever its TLP
    (:func:`accord.policy.decision.outside_audience`). It mentions no observable of its own."""
    require(actor, Perm.ANALYSIS_WORK)
    if not addressed_to:
        raise ValidationFailed("addressed_to: a product sent to its addressees only needs at least one.")
    obj = host_product(body=body, tlp=tlp)
    obj.save(force_insert=True)
    obj.addressed_to.set(addressed_to)
    audit_record(
        actor=actor,
        action="object.publish",
        obj=obj,
        details={"stix_id": obj.stix_id, "tlp": tlp, "addressed_to": sorted(o.pk for o in addressed_to)},
    )
    return obj


def _unmentioned(observables: set[int]) -> list[int]:
    """Those of ``observables`` no object version mentions any more. On PostgreSQL the keys are
    walked as they are (``unnest``), each probing the links' index once: the observables' own
    rows, which the purge then deletes by key, need not be read first (a probe of their primary
    key each, about half the statement's time for a batch's 40,000)."""
    if not observables:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT v.id FROM unnest(%s::bigint[]) v (id) WHERE NOT EXISTS "  # noqa: S608 - model names
                f"(SELECT 1 FROM {_LINKS} l WHERE l.observable_id = v.id)",
                [array_param(sorted(observables))[1]],
            )
            return sorted(pk for (pk,) in cursor.fetchall())
    sql = (
        f"SELECT id FROM {_OBSERVABLES} v WHERE NOT EXISTS "  # noqa: S608 - model names
        f"(SELECT 1 FROM {_LINKS} l WHERE l.observable_id = v.id) AND v.id IN ({{}})"
    )
    return sorted(pk for (pk,) in select_in(sql, (), sorted(observables)))


PURGE_BATCH = 20_000  # object versions per transaction of the purge


def retention_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete objects past their retention, their links, and observables nothing mentions any
    more (``accord retention purge``, and the worker daily), keeping correlation and campaigns in
    step. In batches of ``PURGE_BATCH`` versions, each a transaction of its own with its summary
    in the audit chain: a million expired objects never hold the store's write lock at once, and
    an interrupted purge keeps what it finished. The totals."""
    now = now or timezone.now()
    total = {"objects": 0, "observables": 0}
    after = 0
    while True:
        with transaction.atomic():
            batch = list(
                StixObject.objects.filter(expires_at__lte=now, pk__gt=after)
                .order_by("pk")
                .values_list("pk", flat=True)[:PURGE_BATCH]
            )
            if not batch:
                return total
            after = batch[-1]
            for key, count in _purge(batch).items():
                total[key] += count


def _purge(batch: list[int]) -> dict[str, int]:
    with by_index():
        mentioned = mentioned_by(batch)
    notify_leaving(objects=batch, observables=mentioned)
    objects = delete_cascading(StixObject, batch, proved=True)
    notify_removed(objects=batch, observables=mentioned)
    with by_index():
        orphaned = _unmentioned(mentioned)
    observables = delete_cascading(Observable, orphaned, proved=True)
    summary = {"objects": objects, "observables": observables}
    if objects or observables:
        audit_record(actor=None, action="retention.purge", object_type="sharing.stixobject", details=summary)
    return summary


def _own_versions(actor: User, stix_id: str, versions: list[datetime] | None) -> list[StixObject]:
    """The versions of ``stix_id`` the actor's organisation shared (those ``modified`` at
    ``versions``, or all), locked; a 404 when there are none."""
    chosen = StixObject.objects.select_for_update().filter(stix_id=stix_id, organisation=actor.organisation)
    if versions is not None:
        chosen = chosen.filter(modified__in=versions)
    found = list(chosen.order_by("pk"))
    if not found:
        raise NotFound(
            f"No object {stix_id} that your organisation shared" + (" at those versions." if versions else ".")
        )
    return found


@transaction.atomic
def object_restore(*, actor: User, stix_id: str, reason: str, versions: list[datetime] | None = None) -> int:
    """The originator undoes a revocation: the revoked versions (or those ``modified`` at
    ``versions``) are shared again, and reach their readers as late arrivals. How many were
    restored (none when none was revoked)."""
    require(actor, Perm.SHARING_SUBMIT)
    if not reason.strip():
        raise invalid("reason", f"say why {stix_id} is shared again.", "Required.")
    revoked = [obj for obj in _own_versions(actor, stix_id, versions) if obj.revoked]
    pks = [obj.pk for obj in revoked]
    if not pks:
        return 0
    restored = VisibilityChange.Kind.RESTORED
    with visibility_watch(cause=f"{stix_id} restored", scopes=[Scope(None, Q(pk__in=pks))], kind=restored):
        StixObject.objects.filter(pk__in=pks).update(revoked=False, revoked_at=None)
    links = list(ObjectObservable.objects.filter(stix_object_id__in=pks).values_list("stix_object_id", "observable_id"))
    notify_added(organisation_id=actor.organisation_id, objects=[(obj.pk, obj.type) for obj in revoked], links=links)
    audit_record(
        actor=actor,
        action="object.restore",
        object_type="sharing.stixobject",
        object_id=stix_id,
        details={"versions": len(pks)},
        justification=reason,
    )
    return len(pks)


@transaction.atomic
def object_address(*, actor: User, stix_id: str, organisations: list[Organisation]) -> int:
    """The originator addresses every version of its object to more organisations (TLP:AMBER
    reaches an organisation it is addressed to): they receive it as a late arrival. How many
    organisations were added."""
    require(actor, Perm.SHARING_SUBMIT)
    found = _own_versions(actor, stix_id, None)
    if not organisations:
        raise invalid("organisations", "name at least one organisation to address it to.", "Required.")
    if any(org.is_host or org.pk == actor.organisation_id for org in organisations):
        raise invalid("organisations", "the hosting organisation and your own receive it anyway.")
    pks = [obj.pk for obj in found]
    through = StixObject.addressed_to.through
    held = set(through.objects.filter(stixobject_id__in=pks).values_list("stixobject_id", "organisation_id"))
    new = [(obj, org) for obj in found for org in organisations if (obj.pk, org.pk) not in held]
    added = sorted({org.pk for _, org in new})
    named = VisibilityChange.Kind.NAMED
    with visibility_watch(cause=f"{stix_id} addressed", scopes=[Scope(tuple(added), Q(pk__in=pks))], kind=named):
        through.objects.bulk_create([through(stixobject_id=obj.pk, organisation_id=org.pk) for obj, org in new])
        notify_visibility(objects=sorted({obj.pk for obj, _ in new}))
    if added:
        audit_record(
            actor=actor,
            action="object.address",
            object_type="sharing.stixobject",
            object_id=stix_id,
            details={"organisations": added},
        )
    return len(added)


@transaction.atomic
def object_retention_extend(*, actor: User, stix_id: str, until: datetime, reason: str) -> int:
    """The originator keeps its object longer: every version's retention ends at ``until``, no
    later than its agreement's retention period allows from when it was added. A version whose
    retention had ended (and is not purged yet) is received again, as a late arrival. How many
    versions were extended."""
    require(actor, Perm.SHARING_SUBMIT)
    if not reason.strip():
        raise invalid("reason", f"say why {stix_id} is kept longer.", "Required.")
    now = timezone.now()
    if until <= now:
        raise invalid("until", f"{until:%Y-%m-%d %H:%M} has passed.", "A moment in the future.")
    found = _own_versions(actor, stix_id, None)
    longer = [obj for obj in found if obj.expires_at is not None and obj.expires_at < until]
    for obj in longer:
        terms = obj.agreement.current_version if obj.agreement is not None else None
        days = terms.retention_days if terms is not None else None
        latest = obj.added_at + timedelta(days=days) if days else None
        if latest is not None and until > latest:
            raise invalid("until", f"the agreement keeps {stix_id} at most {days} days, until {latest:%Y-%m-%d}.")
    pks = [obj.pk for obj in longer]
    if not pks:
        return 0
    named = VisibilityChange.Kind.NAMED
    with visibility_watch(cause=f"{stix_id} kept longer", scopes=[Scope(None, Q(pk__in=pks))], kind=named):
        StixObject.objects.filter(pk__in=pks).update(expires_at=until)
        notify_visibility(objects=pks)
    audit_record(
        actor=actor,
        action="object.retention_extend",
        object_type="sharing.stixobject",
        object_id=stix_id,
        details={"versions": len(pks), "until": until.isoformat()},
        justification=reason,
    )
    return len(pks)
