"""STIX ``sighting`` objects shared in submissions, turned into sightings of observables; and
sightings of values not yet in the store, linked to their observable when an ingest brings it.

A STIX 2.1 sighting (§5.2) says that ``sighting_of_ref`` (an indicator, usually) was seen
``count`` times between ``first_seen`` and ``last_seen``. Accord records one sighting per
observable of the referenced object that the sender may know of (the object is one it may view,
and the observable is not withheld from it by a redaction), so the originator of the indicator
sees the feedback on its observables, as it does for sightings reported through the API; and the
sender's own sightings never show it a value it may not see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accord.analysis.models import Sighting
from accord.policy import Action, PrincipalContext, principal_context, visible, withheld_links
from accord.sharing.bulk import adapt_datetime, chunks, insert_rows
from accord.sharing.models import ObjectObservable, Observable, StixObject, Submission

__all__ = ["sightings_from_stix", "sightings_link"]

_COLUMNS = (
    "observable_id",
    "type",
    "value",
    "organisation_id",
    "first_seen",
    "last_seen",
    "count",
    "country",
    "region",
    "note",
    "stix_object_id",
    "created_at",
)


def _stamp(value: Any, default: datetime) -> datetime:
    if not isinstance(value, str):
        return default
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return default
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _known_links(sender: PrincipalContext | None, targets: Collection[str]) -> dict[str, list[tuple[int, str, str]]]:
    """The observables (id, type, value) of the newest live version of each of ``targets`` that
    ``sender`` may view, except the withheld ones; every link for a submission without a sender
    (``None``: the command line's operator). Two queries per thousand targets, whatever their number."""
    found: dict[str, list[tuple[int, str, str]]] = {}
    for part in chunks(sorted(targets)):
        versions = StixObject.objects.filter(stix_id__in=part, revoked=False)
        if sender is not None:
            versions = visible(sender, versions, Action.VIEW)
        newest: dict[str, tuple[Any, int]] = {}
        for stix_id, pk, modified in versions.values_list("stix_id", "pk", "modified"):
            if stix_id not in newest or (modified, pk) > newest[stix_id]:
                newest[stix_id] = (modified, pk)
        target_of = {pk: stix_id for stix_id, (_, pk) in newest.items()}
        links = ObjectObservable.objects.filter(stix_object_id__in=list(target_of))
        if sender is not None:
            links = links.exclude(withheld_links(sender))
        rows = links.values_list("stix_object_id", "observable_id", "observable__type", "observable__value")
        for obj, observable, kind, value in rows.order_by("stix_object_id", "observable_id"):
            found.setdefault(target_of[obj], []).append((observable, kind, value))
    return found


def sightings_from_stix(organisation_id: int, objects: Sequence[int]) -> int:
    """Record the sightings of the given STIX sighting versions; how many were recorded."""
    made: list[tuple[Any, ...]] = []
    now = adapt_datetime(timezone.now())
    versions = list(
        StixObject.objects.filter(pk__in=list(objects), type="sighting").only("pk", "body", "created", "submission_id")
    )
    submissions = Submission.objects.filter(pk__in={v.submission_id for v in versions if v.submission_id})
    senders = {s.pk: s.submitted_by for s in submissions.select_related("submitted_by__organisation")}
    contexts = {pk: principal_context(user) if user is not None else None for pk, user in senders.items()}
    by_submission: dict[int | None, list[StixObject]] = defaultdict(list)
    for sighting in versions:
        by_submission[sighting.submission_id].append(sighting)
    for submission, sightings in by_submission.items():
        sender = contexts.get(submission) if submission else None
        bodies = {s.pk: s.body if isinstance(s.body, dict) else {} for s in sightings}
        known = _known_links(sender, {str(b.get("sighting_of_ref", "")) for b in bodies.values()})
        for sighting in sightings:
            body = bodies[sighting.pk]
            first = _stamp(body.get("first_seen"), sighting.created)
            last = max(_stamp(body.get("last_seen"), first), first)
            stated = body.get("count")
            count = stated if isinstance(stated, int) and stated > 0 else 1
            seen = adapt_datetime(first), adapt_datetime(last)
            for observable, kind, value in known.get(str(body.get("sighting_of_ref", "")), ()):
                made.append((observable, kind, value, organisation_id, *seen, count, "", "", "", sighting.pk, now))
    # Plain rows, as the ingest writes its own: the ORM's bulk_create built and adapted a model
    # instance per sighting, a tenth of a real-shaped ingest's writing.
    insert_rows(Sighting._meta.db_table, _COLUMNS, made)
    return len(made)


def sightings_link(new_observables: Collection[int]) -> int:
    """Name the observable of every sighting of a value that was not in the store when it was
    reported and is now (an ingest just created ``new_observables``); how many were linked.
    Sightings wait for their value only until it arrives: one indexed look-up per new
    observable, and nothing at all when no sighting waits."""
    waiting = Sighting.objects.filter(observable__isnull=True)
    if not new_observables or not waiting.exists():
        return 0
    linked = 0
    for part in chunks(sorted(new_observables)):
        by_type: dict[str, list[str]] = defaultdict(list)
        for kind, value in Observable.objects.filter(pk__in=part).values_list("type", "value"):
            by_type[kind].append(value)
        for kind, values in by_type.items():
            same = Observable.objects.filter(type=OuterRef("type"), value=OuterRef("value")).values("pk")[:1]
            linked += waiting.filter(type=kind, value__in=values).update(observable=Subquery(same))
    return linked
