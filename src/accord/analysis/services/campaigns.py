"""Analysts' decisions on campaigns (names, notes, merges, splits), what a campaign graph
showed them, and the rebuild of correlation and campaigns from the link table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.analysis import campaigns
from accord.analysis.correlation import correlation_rebuild
from accord.analysis.models import Campaign, CampaignBridge, CampaignMember, CampaignNote, LinkCut
from accord.analysis.reader_inputs import record_named, record_reflagged
from accord.analysis.upkeep import upkeep_turn
from accord.core.audit import audit_record
from accord.core.choices import DataCategory, Purpose
from accord.core.errors import ValidationFailed
from accord.core.guards import invalid, require
from accord.core.models import User
from accord.core.public_ids import decode
from accord.core.roles import Perm
from accord.policy import WITHHELD_OBSERVABLES
from accord.sharing.models import ObjectObservable, StixObject
from accord.sharing.services import personal_data_consulted

__all__ = [
    "analysis_rebuild",
    "campaign_annotate",
    "campaign_graph_consulted",
    "campaign_merge",
    "campaign_split",
    "campaign_update",
]


@transaction.atomic
def analysis_rebuild(*, actor: User | None, progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Recompute correlation, known-benign flags and campaigns from the link table
    (``accord analysis rebuild``); analysts' names, notes, merges and cuts are kept."""
    require(actor, Perm.ANALYSIS_WORK)
    summary = correlation_rebuild(progress=progress)
    audit_record(actor=actor, action="analysis.rebuild", object_type="analysis.correlation", details=summary)
    return summary


@transaction.atomic
def campaign_update(
    *, actor: User | None, campaign: Campaign, name: str | None = None, description: str | None = None
) -> Campaign:
    """Name or describe a campaign; a named campaign keeps its name when others merge into it."""
    require(actor, Perm.ANALYSIS_WORK)
    changes: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise invalid("name", "A campaign's name cannot be empty.")
        changes |= {"name": name.strip()[:200], "named": True}
    if description is not None:
        changes["description"] = description.strip()
    for field, value in changes.items():
        setattr(campaign, field, value)
    campaign.updated_at = timezone.now()
    campaign.save(update_fields=[*changes, "updated_at"])
    audit_record(
        actor=actor, action="campaign.update", obj=campaign, details={k: v for k, v in changes.items() if k != "named"}
    )
    return campaign


@transaction.atomic
def campaign_annotate(*, actor: User | None, campaign: Campaign, text: str) -> CampaignNote:
    """Add an analyst's note to a campaign."""
    require(actor, Perm.ANALYSIS_WORK)
    if not text.strip():
        raise invalid("text", "A note cannot be empty.")
    note = CampaignNote.objects.create(campaign=campaign, text=text.strip(), author=actor)
    audit_record(actor=actor, action="campaign.annotate", obj=campaign, details={"note": note.pk})
    return note


def campaign_graph_consulted(*, actor: User, graph: dict[str, Any], via: str) -> None:
    """Log the personal data a campaign graph (``selectors.campaign_graph``) showed ``actor``:
    its phone numbers and e-mail addresses, and the objects of personal data it names whole
    (:func:`accord.sharing.services.personal_data_consulted`)."""
    personal = WITHHELD_OBSERVABLES[DataCategory.PERSONAL_DATA]
    observables = [n for n in graph["nodes"] if n["kind"] == "observable" and n["type"] in personal]
    # node ids carry public ids (``selectors.campaign_graph``)
    objects = [decode(int(n["id"].split(":")[1])) for n in graph["nodes"] if n["kind"] == "object"]
    personal_data_consulted(
        actor=actor,
        objects=StixObject.objects.filter(pk__in=objects, data_category=DataCategory.PERSONAL_DATA).select_related(
            "agreement__current_version"
        ),
        observable_ids=[decode(int(n["id"].split(":")[1])) for n in observables],
        purpose=Purpose.INVESTIGATION,
        via=via,
        campaign=graph["campaign"],
    )


@transaction.atomic
def campaign_merge(*, actor: User | None, campaign_ids: Sequence[int], reason: str) -> Campaign:
    """Merge campaigns an analyst knows belong together, whatever their observables say: each is
    bridged to the first, and the bridges hold through later rebuilds."""
    require(actor, Perm.ANALYSIS_WORK)
    wanted = list(dict.fromkeys(int(pk) for pk in campaign_ids))
    if len(wanted) < 2:
        raise invalid("campaigns", "Name two or more distinct campaigns to merge.")
    if not reason.strip():
        raise invalid("reason", "Say why these campaigns belong together.")
    upkeep_turn()  # before the campaigns' rows: an ingest in its turn may lock them too
    found = {c.pk: c for c in Campaign.objects.select_for_update().filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationFailed(
            f"campaigns: no campaign {', '.join(map(str, missing))}.", details={"campaigns": [f"Unknown: {missing}"]}
        )
    anchors = {
        pk: CampaignMember.objects.filter(campaign_id=pk)
        .order_by("stix_object_id")
        .values_list("stix_object_id", flat=True)[0]
        for pk in wanted
    }
    for pk in wanted[1:]:
        CampaignBridge.objects.create(
            object_a_id=anchors[wanted[0]], object_b_id=anchors[pk], reason=reason.strip(), created_by=actor
        )
    record_named(anchors.values())  # what partners' kept rows follow it by
    keep = campaigns._merge(wanted)
    campaigns.campaigns_refresh([keep])
    merged = Campaign.objects.get(pk=keep)
    audit_record(actor=actor, action="campaign.merge", obj=merged, details={"campaigns": wanted}, justification=reason)
    return merged


@transaction.atomic
def campaign_split(
    *, actor: User | None, campaign: Campaign, observable_ids: Sequence[int], reason: str
) -> list[Campaign]:
    """Split a campaign by cutting observables that are no real link (shared hosting, a bulk
    mailer): they stop linking objects anywhere, and the campaign falls into the pieces that
    remain connected. Refused, with nothing changed, when it would not fall apart."""
    require(actor, Perm.ANALYSIS_WORK)
    if not reason.strip():
        raise invalid("reason", "Say why these observables are no link.")
    wanted = sorted({int(pk) for pk in observable_ids})
    if not wanted:
        raise invalid("observables", "Name the observables to cut.")
    upkeep_turn()
    members = CampaignMember.objects.filter(campaign=campaign).values("stix_object_id")
    size = CampaignMember.objects.filter(campaign=campaign).count()
    inside = set(
        ObjectObservable.objects.filter(stix_object_id__in=members, observable_id__in=wanted).values_list(
            "observable_id", flat=True
        )
    )
    outside = [pk for pk in wanted if pk not in inside]
    if outside:
        raise invalid("observables", f"observable {', '.join(map(str, outside))} links nothing in this campaign.")
    LinkCut.objects.bulk_create(
        [LinkCut(observable_id=pk, reason=reason.strip(), created_by=actor) for pk in wanted], ignore_conflicts=True
    )
    record_reflagged(wanted)  # they link nothing now, as a value named benign: partners' kept rows follow it
    others = set(
        CampaignMember.objects.filter(
            stix_object_id__in=ObjectObservable.objects.filter(observable_id__in=wanted).values("stix_object_id")
        )
        .exclude(campaign=campaign)
        .values_list("campaign_id", flat=True)
    )
    touched = campaigns.campaigns_recheck({campaign.pk, *others})
    campaigns.campaigns_refresh(touched)
    pieces = list(Campaign.objects.filter(pk__in=touched - others).order_by("pk"))
    if [p.pk for p in pieces] == [campaign.pk] and CampaignMember.objects.filter(campaign=campaign).count() == size:
        raise ValidationFailed(
            "observables: the campaign stays connected without them; cut every observable that joins the parts.",
            details={"observables": ["The campaign would not split."]},
        )
    audit_record(
        actor=actor,
        action="campaign.split",
        obj=campaign,
        details={"observables": wanted, "campaigns": [p.pk for p in pieces]},
        justification=reason,
    )
    return pieces
