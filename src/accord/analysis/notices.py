"""What analysis tells partners (through :func:`accord.notifications.services.notify`): their
data correlated with another organisation's, was sighted, a campaign holding it grew or merged,
or a report was addressed to them.

A notification about shared data names only what its recipient may read: each other
organisation's object is decided by :mod:`accord.policy` for each person told, and a person who
may not read it is not told at all (not even that a correlation exists). Other organisations
are never named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.analysis.models import CampaignMember
from accord.core.choices import Purpose, Role
from accord.core.models import Organisation, User
from accord.core.roles import Perm, has_perm
from accord.notifications.services import notify
from accord.policy import Action, PrincipalContext, decide, principal_context
from accord.sharing.models import ObjectObservable, Observable, StixObject, Submission

__all__ = [
    "campaign_merge_noted",
    "campaign_merge_tell",
    "campaigns_tell",
    "correlations_tell",
    "report_tell",
    "sighting_tell",
]

# At most this many correlated values of one submission are looked at, and listed per person.
CAP = 200
LISTED = 5
_PARTNER_READERS = (Role.PARTNER_CONTRIBUTOR, Role.PARTNER_READER)


def _readers(organisation_id: int) -> list[User]:
    people = User.objects.filter(organisation_id=organisation_id, is_active=True).select_related("organisation")
    return [p for p in people if has_perm(p, Perm.SHARING_READ)]


def _may_read(context: PrincipalContext, obj: StixObject) -> bool:
    return decide(context, obj, Action.VIEW, Purpose.INVESTIGATION).allowed


def correlations_tell(*, submission_id: int) -> int:
    """After an ingest: tell each person of the organisations involved that an object of theirs
    mentions a value another organisation's object mentions (non-benign, not over-correlating),
    when they may read that other object. Each pair is told once, when the later of its two
    objects is looked at (whichever order the after-ingest tasks run in). Returns the people told."""
    submission = Submission.objects.filter(pk=submission_id).select_related("organisation").first()
    if submission is None:
        return 0
    live = Q(stix_object__revoked=False) & (
        Q(stix_object__expires_at__isnull=True) | Q(stix_object__expires_at__gt=timezone.now())
    )
    correlating = Q(
        observable__correlation__organisation_count__gte=2,
        observable__correlation__benign="",
        observable__correlation__over_correlating=False,
    )
    ours = list(
        ObjectObservable.objects.filter(live, correlating, stix_object__submission_id=submission_id)
        .values_list("stix_object_id", "observable_id")
        .order_by("observable_id")[:CAP]
    )
    if not ours:
        return 0
    observables = {o for _, o in ours}
    theirs = list(
        ObjectObservable.objects.filter(live, observable_id__in=observables)
        .exclude(stix_object__organisation_id=submission.organisation_id)
        .values_list("stix_object_id", "observable_id")
        .order_by("observable_id", "stix_object_id")[: CAP * 4]
    )
    objects = StixObject.objects.in_bulk({o for o, _ in ours} | {o for o, _ in theirs})
    values = dict(Observable.objects.filter(pk__in=observables).values_list("pk", "value"))
    by_observable: dict[int, list[int]] = defaultdict(list)
    for obj, observable in ours:
        by_observable[observable].append(obj)
    # (own object, value, the other object), per organisation told
    pairs: dict[int, list[tuple[StixObject, str, StixObject]]] = defaultdict(list)
    for other, observable in theirs:
        for own in by_observable[observable]:
            if other > own:  # stored after this one: told when its own ingest is looked at
                continue
            mine, foreign = objects[own], objects[other]
            pairs[mine.organisation_id].append((mine, values[observable], foreign))
            pairs[foreign.organisation_id].append((foreign, values[observable], mine))
    told = 0
    for organisation_id, found in pairs.items():
        for person in _readers(organisation_id):
            context = principal_context(person)
            visible = [(own, value, other) for own, value, other in found if _may_read(context, other)]
            if visible:
                _tell_correlated(person, visible, submission)
                told += 1
    return told


def _tell_correlated(person: User, pairs: list[tuple[StixObject, str, StixObject]], submission: Submission) -> None:
    unique = list(dict.fromkeys((own.stix_id, value, other.stix_id) for own, value, other in pairs))
    lines = [f"- {value}: your {own} and {other}" for own, value, other in unique[:LISTED]]
    more = len(unique) - LISTED
    own_first, value_first, other_first = unique[0]
    notify(
        "object.correlated",
        people=[person],
        subject=pairs[0][0],
        link=f"/shared/{other_first}/",
        context={
            "title": f"Your data correlated with another organisation's: {value_first}"
            + (f" and {len(unique) - 1} more" if len(unique) > 1 else ""),
            "text": "Values your organisation shared are mentioned by another organisation's objects you may read:\n"
            + "\n".join(lines)
            + (f"\n… and {more} more." if more > 0 else ""),
        },
        data={"correlations": [{"own": o, "value": v, "other": t} for o, v, t in unique[:50]]},
    )


def campaigns_tell(*, submission_id: int) -> int:
    """After an ingest: tell the people of each other organisation whose objects are in a
    campaign this submission's objects joined, of the new members they may read (the policy
    decides each, per person; one who may read none is not told). The campaign, an analysts'
    product, and the sharer are not named. Returns the people told."""
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return 0
    joined = list(
        CampaignMember.objects.filter(stix_object__submission_id=submission_id)
        .values_list("campaign_id", "stix_object_id")
        .order_by("campaign_id", "stix_object_id")[:CAP]
    )
    by_campaign: dict[int, list[int]] = defaultdict(list)
    for campaign, obj in joined:
        by_campaign[campaign].append(obj)
    objects = StixObject.objects.in_bulk([obj for _, obj in joined])
    told = 0
    for campaign, new in by_campaign.items():
        organisations = (
            CampaignMember.objects.filter(campaign_id=campaign)
            .exclude(stix_object__organisation_id=submission.organisation_id)
            .values_list("stix_object__organisation_id", flat=True)
            .distinct()
        )
        for organisation_id in set(organisations):
            told += _tell_joined(organisation_id, [objects[pk] for pk in new], merged=False)
    return told


def _tell_joined(organisation_id: int, joined: list[StixObject], *, merged: bool) -> int:
    """Tell each person of the organisation of the objects that joined a campaign holding its
    data (by growing, or by a merge) that they may read; one who may read none is not told.
    Neither the campaign nor another organisation is named. Returns the people told."""
    told = 0
    for person in _readers(organisation_id):
        context = principal_context(person)
        readable = [obj for obj in joined if _may_read(context, obj)]
        if not readable:
            continue
        listed = "\n".join(f"- {obj.stix_id}" for obj in readable[:LISTED])
        title = (
            f"A campaign holding your organisation's data merged with another: {len(readable)} object(s) joined it"
            if merged
            else f"A campaign holding your organisation's data grew by {len(readable)} object(s)"
        )
        notify(
            "campaign.grew",
            people=[person],
            link=f"/shared/{readable[0].stix_id}/",
            context={
                "title": title,
                "text": "Objects you may read joined a campaign your organisation's objects belong to"
                + (" when it was merged with another" if merged else "")
                + ":\n"
                + listed
                + (f"\n… and {len(readable) - LISTED} more." if len(readable) > LISTED else ""),
            },
            data={"objects": [obj.stix_id for obj in readable[:50]], "merged": merged},
        )
        told += 1
    return told


def campaign_merge_noted(sender: object, *, survivor: int, absorbed: Sequence[int], **kwargs: object) -> None:
    """The ``campaigns_merged`` receiver (inside the merge, before members move): note which
    organisations had data in each campaign merged, and its first members, and tell them once
    the merge commits (:func:`campaign_merge_tell`)."""
    parts: list[tuple[set[int], list[int]]] = []
    for pk in [survivor, *absorbed]:
        members = CampaignMember.objects.filter(campaign_id=pk).order_by()
        organisations = set(members.values_list("stix_object__organisation_id", flat=True).distinct())
        first = list(members.order_by("stix_object_id").values_list("stix_object_id", flat=True)[:CAP])
        parts.append((organisations, first))
    transaction.on_commit(partial(campaign_merge_tell, parts=parts), robust=True)


def campaign_merge_tell(*, parts: Sequence[tuple[set[int], list[int]]]) -> int:
    """After campaigns merged (by an analyst, or by upkeep when shared data joined them): tell
    each organisation with data in one of them of the objects, from the campaigns where it had
    none, that each of its people may read (the campaign.grew notice, as after an ingest).
    Returns the people told."""
    objects = StixObject.objects.in_bulk([pk for _, members in parts for pk in members])
    told = 0
    for organisation_id in sorted(set().union(*(organisations for organisations, _ in parts))):
        joined = [
            objects[pk]
            for organisations, members in parts
            if organisation_id not in organisations
            for pk in members
            if pk in objects
        ]
        if joined:
            told += _tell_joined(organisation_id, joined, merged=True)
    return told


def sighting_tell(*, sighting: Any) -> int:
    """Tell the organisations whose live objects mention a sighted value (not the sighter's own):
    they shared the value, so naming it tells them nothing they may not know; the sighter is
    not named. Returns the organisations told."""
    if sighting.observable_id is None:
        return 0
    now = timezone.now()
    organisations = (
        StixObject.objects.filter(observables=sighting.observable_id, revoked=False)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .exclude(organisation_id=sighting.organisation_id)
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    told = 0
    for organisation in Organisation.objects.filter(pk__in=list(organisations), is_host=False):
        notify(
            "object.sighted",
            organisation=organisation,
            roles=_PARTNER_READERS,
            subject=sighting,
            link="/shared/?" + urlencode({"observable": sighting.value}),  # a URL value holds & and #
            context={
                "title": f"A partner sighted {sighting.value}, which your organisation shared",
                "text": f"{sighting.type} {sighting.value} was seen {sighting.count} time(s)"
                + (f" in {sighting.country}" if sighting.country else "")
                + f", between {sighting.first_seen:%Y-%m-%d} and {sighting.last_seen:%Y-%m-%d}.",
            },
            data={"type": sighting.type, "value": sighting.value, "count": sighting.count, "country": sighting.country},
        )
        told += 1
    return told


def report_tell(*, report: Any, recipients: list[Organisation]) -> None:
    """Tell each recipient organisation that a report was addressed to it (it passed the
    dissemination check for that organisation, so its title may be shown)."""
    collection = report.collection.alias if report.collection else ""
    for organisation in recipients:
        notify(
            "report.addressed",
            organisation=organisation,
            subject=report,
            link=f"/analysis/reports/{report.pk}/",
            context={
                "title": f"Intelligence report addressed to {organisation.name}: {report.title}"[:300],
                "text": f"A TLP:{report.tlp.upper()} intelligence report was disseminated to your organisation; "
                f"read it on the platform or from its TAXII collection ({collection}).",
            },
            data={"report": report.stix_id, "title": report.title, "tlp": report.tlp},
        )
