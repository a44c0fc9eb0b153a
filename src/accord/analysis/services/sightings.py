"""Sightings: an organisation reports that it saw a value (the feedback originators get back)."""

from __future__ import annotations

from datetime import datetime

import pycountry
from django.db import transaction
from django.utils import timezone

from accord.analysis.models import Sighting
from accord.analysis.notices import sighting_tell
from accord.core.audit import audit_record
from accord.core.guards import invalid, require
from accord.core.models import User
from accord.core.regions import region_for
from accord.core.roles import Perm
from accord.formats.normalisers import InvalidObservable, normalise
from accord.sharing.models import Observable

__all__ = [
    "sighting_record",
]


@transaction.atomic
def sighting_record(
    *,
    actor: User,
    type: str,  # noqa: A002
    value: str,
    seen_at: datetime | None = None,
    last_seen: datetime | None = None,
    count: int = 1,
    country: str = "",
    note: str = "",
) -> Sighting:
    """A partner (or the host) saw a value: feedback its reporters see. A value that normalises
    is recorded; one that does not is refused.

    What the reporter gets back is the same whether the value is in the store, visible to it or
    not, or unknown: the sighting keeps the value, names its observable only where one exists
    (an ingest that brings the value later links it, :func:`~accord.analysis.sightings.sightings_link`)
    and never creates one, so no id or count moves differently."""
    require(actor, Perm.SHARING_SUBMIT)
    try:
        canonical = normalise(type, value)
    except InvalidObservable as error:
        raise invalid("value", f"'{value}' is not a valid {type}: {error}.") from None
    if count < 1:
        raise invalid("count", "A sighting counts one time or more.")
    code = country.strip().upper()
    if code and pycountry.countries.get(alpha_2=code) is None:
        raise invalid("country", f"'{country}' is not an ISO 3166-1 alpha-2 code.")
    now = timezone.now()
    first = seen_at or now
    last = last_seen or first
    if last < first:
        raise invalid("last_seen", "The last sighting cannot come before the first.")
    if first > now:
        raise invalid("seen_at", "A sighting cannot be in the future.")
    sighting = Sighting.objects.create(
        observable=Observable.objects.filter(type=canonical.type, value=canonical.value).first(),
        type=canonical.type,
        value=canonical.value,
        organisation=actor.organisation,
        reported_by=actor,
        first_seen=first,
        last_seen=last,
        count=count,
        country=code,
        region=region_for(code) if code else "",
        note=note.strip()[:1000],
    )
    audit_record(
        actor=actor,
        action="sighting.record",
        obj=sighting,
        details={"type": canonical.type, "value": canonical.value, "count": count},
    )
    sighting_tell(sighting=sighting)
    return sighting
