"""STIX ``sighting`` objects shared in submissions, turned into sightings of observables.

A STIX 2.1 sighting (§5.2) says that ``sighting_of_ref`` (an indicator, usually) was seen
``count`` times between ``first_seen`` and ``last_seen``. Accord records one sighting per
observable the referenced object mentions, so the originator of the indicator sees the feedback
on its observables, as it does for sightings reported through the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from accord.analysis.models import Sighting
from accord.sharing.models import ObjectObservable, StixObject

__all__ = ["sightings_from_stix"]


def _stamp(value: Any, default: datetime) -> datetime:
    if not isinstance(value, str):
        return default
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return default
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def sightings_from_stix(organisation_id: int, objects: Sequence[int]) -> int:
    """Record the sightings of the given STIX sighting versions; how many were recorded."""
    made = []
    for sighting in StixObject.objects.filter(pk__in=list(objects), type="sighting").only("pk", "body", "created"):
        body = sighting.body if isinstance(sighting.body, dict) else {}
        target = (
            StixObject.objects.filter(stix_id=str(body.get("sighting_of_ref", "")), revoked=False)
            .order_by("-modified")
            .values_list("pk", flat=True)
            .first()
        )
        if target is None:
            continue
        first = _stamp(body.get("first_seen"), sighting.created)
        last = max(_stamp(body.get("last_seen"), first), first)
        stated = body.get("count")
        count = stated if isinstance(stated, int) and stated > 0 else 1
        for observable in ObjectObservable.objects.filter(stix_object_id=target).values_list(
            "observable_id", flat=True
        ):
            made.append(
                Sighting(
                    observable_id=observable,
                    organisation_id=organisation_id,
                    first_seen=first,
                    last_seen=last,
                    count=count,
                    stix_object=sighting,
                )
            )
    Sighting.objects.bulk_create(made, batch_size=500)
    return len(made)
