"""Stored objects after ingest: an originator's revocation, the hosting organisation's own
products, and the retention purge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import DataCategory
from accord.core.errors import ValidationFailed
from accord.core.guards import require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.sharing.bulk import chunks
from accord.sharing.listeners import notify_removed
from accord.sharing.models import ObjectObservable, Observable, StixObject
from accord.sharing.services.categories import _CATEGORY_BY_TYPE


@transaction.atomic
def object_revoke(*, actor: User, stix_id: str, reason: str = "", versions: list[datetime] | None = None) -> int:
    """The originator withdraws an object: every version (or those ``modified`` at ``versions``)
    becomes invisible to all but auditors viewing it on the platform."""
    require(actor, Perm.SHARING_SUBMIT)
    chosen = StixObject.objects.select_for_update().filter(stix_id=stix_id, organisation=actor.organisation)
    if versions is not None:
        chosen = chosen.filter(modified__in=versions)
    pks = list(chosen.filter(revoked=False).values_list("pk", flat=True))
    count = StixObject.objects.filter(pk__in=pks).update(revoked=True, revoked_at=timezone.now())
    notify_removed(objects=pks, observables=_mentioned(pks))
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


def _mentioned(objects: list[int]) -> set[int]:
    """The observables the given object versions mention."""
    return {
        pk
        for part in chunks(objects)
        for pk in ObjectObservable.objects.filter(stix_object_id__in=part).values_list("observable_id", flat=True)
    }


@transaction.atomic
def retention_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete objects past their retention, their links, and observables nothing mentions any
    more (``accord retention purge``, and the worker daily); the summary goes to the audit chain."""
    now = now or timezone.now()
    expired = StixObject.objects.filter(expires_at__lte=now)
    gone = list(expired.values_list("pk", flat=True))
    orphans_before = _mentioned(gone)
    _, deleted = expired.delete()
    notify_removed(objects=gone, observables=orphans_before)
    objects = deleted.get(StixObject._meta.label, 0)
    _, deleted = Observable.objects.filter(pk__in=orphans_before, links__isnull=True).delete()
    observables = deleted.get(Observable._meta.label, 0)
    summary = {"objects": objects, "observables": observables}
    if objects or observables:
        audit_record(actor=None, action="retention.purge", object_type="sharing.stixobject", details=summary)
    return summary
