"""The analysis app's writes: rebuilds, local exclusion lists, campaign decisions, sightings.

Every service checks the actor's role, enforces its rules, changes everything or nothing, and
appends one audit event in the same transaction.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pycountry
from django.db import transaction
from django.utils import timezone

from accord.analysis import benign, campaigns
from accord.analysis.correlation import correlation_rebuild
from accord.analysis.models import (
    Campaign,
    CampaignBridge,
    CampaignMember,
    CampaignNote,
    Correlation,
    ExclusionEntry,
    ExclusionList,
    IntelReport,
    LinkCut,
    Sighting,
)
from accord.analysis.reports import host_identity, new_report_id, report_check, report_sdo
from accord.core.audit import audit_record
from accord.core.choices import DataCategory, Purpose, Region, ReliabilityGrade, Tlp
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.guards import all_of, invalid, one_of, require
from accord.core.models import Organisation, User
from accord.core.public_ids import decode
from accord.core.regions import region_for
from accord.core.roles import Perm
from accord.formats.choices import ObservableType
from accord.formats.normalisers import InvalidObservable, normalise
from accord.policy import WITHHELD_OBSERVABLES
from accord.sharing.models import ObjectObservable, Observable, StixObject
from accord.sharing.services import host_product_publish, personal_data_consulted
from accord.taxii.choices import CollectionKind
from accord.taxii.services import collection_create

__all__ = [
    "analysis_rebuild",
    "campaign_annotate",
    "campaign_graph_consulted",
    "campaign_merge",
    "campaign_split",
    "campaign_update",
    "exclusion_entry_add",
    "exclusion_entry_remove",
    "exclusion_list_create",
    "exclusion_list_delete",
    "object_grade",
    "report_bundle_consulted",
    "report_disseminate",
    "report_save",
    "sighting_record",
]


@transaction.atomic
def analysis_rebuild(*, actor: User | None, progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Recompute correlation, known-benign flags and campaigns from the link table
    (``accord analysis rebuild``); analysts' names, notes, merges and cuts are kept."""
    require(actor, Perm.ANALYSIS_WORK)
    summary = correlation_rebuild(progress=progress)
    audit_record(actor=actor, action="analysis.rebuild", object_type="analysis.correlation", details=summary)
    return summary


# -- local exclusion lists ------------------------------------------------------------------------


@transaction.atomic
def exclusion_list_create(*, actor: User | None, name: str, description: str = "") -> ExclusionList:
    """A new, empty local list of known-benign values."""
    require(actor, Perm.ANALYSIS_WORK)
    name = name.strip()
    if not name:
        raise invalid("name", "A list needs a name.")
    if ExclusionList.objects.filter(name__iexact=name).exists():
        raise Conflict(f"name: a list called '{name}' exists already.", details={"name": ["Choose another name."]})
    made = ExclusionList.objects.create(name=name, description=description.strip(), created_by=actor)
    audit_record(actor=actor, action="exclusion_list.create", obj=made, details={"name": name})
    return made


def _pattern(kind: str, pattern: str) -> str:
    """The stored form of a pattern, or a 400 saying what a pattern of this type may be."""
    if kind not in ObservableType.values:
        raise invalid("type", f"'{kind}' is not an observable type.", f"One of: {', '.join(ObservableType.values)}.")
    text = pattern.strip()
    if kind in {"ipv4", "ipv6"} and "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError as error:
            raise invalid("pattern", f"'{text}' is not a network: {error}.", "An address or a CIDR network.") from None
        if (network.version == 4) != (kind == "ipv4"):
            raise invalid("pattern", f"'{text}' is not an {kind} network.")
        return str(network)
    if text.startswith("*."):
        if kind not in {"domain", "url", "email"}:
            raise invalid("pattern", f"'*.' patterns are for domains, URLs and e-mail addresses, not {kind}.")
        try:
            return "*." + normalise("domain", text[2:]).value
        except InvalidObservable as error:
            raise invalid("pattern", f"'{text}' is not a domain pattern: {error}.", "*.example.org") from None
    try:
        return normalise(kind, text).value
    except InvalidObservable as error:
        raise invalid("pattern", f"'{text}' is not a valid {kind}: {error}.") from None


def _matching_correlations(kind: str, pattern: str) -> list[int]:
    """The correlated observables of ``kind`` a pattern names."""
    rows = Correlation.objects.filter(observable__type=kind)
    if not pattern.startswith("*.") and "/" not in pattern:
        return list(rows.filter(observable__value=pattern).values_list("pk", flat=True))
    probe = benign.LocalExclusions()
    if pattern.startswith("*."):
        probe.suffixes[kind, pattern[2:]] = "probe"
    else:
        probe.networks.append((kind, ipaddress.ip_network(pattern), "probe"))
    return [pk for pk, value in rows.values_list("pk", "observable__value") if probe.match(kind, value)]


def _reflag(observables: Sequence[int]) -> None:
    """Flag ``observables``' correlations again (the local lists changed) and bring campaigns in
    line with the result."""
    benign.forget_local_exclusions()
    transaction.on_commit(benign.forget_local_exclusions)  # what other requests compiled meanwhile
    if not observables:
        return
    before = dict(Correlation.objects.filter(pk__in=observables).values_list("pk", "benign"))
    benign.flag_correlations(observables)
    after = dict(Correlation.objects.filter(pk__in=observables).values_list("pk", "benign"))
    stopped = [pk for pk in observables if not before.get(pk) and after.get(pk)]
    started = [pk for pk in observables if before.get(pk) and not after.get(pk)]
    cut = campaigns.cut_observables(started)
    linking = set(
        Correlation.objects.filter(pk__in=[pk for pk in started if pk not in cut], over_correlating=False).values_list(
            "pk", flat=True
        )
    )
    links = list(
        ObjectObservable.objects.filter(observable_id__in=linking).values_list("stix_object_id", "observable_id")
    )
    campaigns.on_links_added(links, stopped_linking=stopped)


@transaction.atomic
def exclusion_entry_add(
    *,
    actor: User | None,
    exclusion_list: ExclusionList,
    type: str,
    pattern: str,
    comment: str = "",  # noqa: A002
) -> ExclusionEntry:
    """Add a value or pattern to a local list: matching values stop correlating at once, and the
    campaigns they held together split."""
    require(actor, Perm.ANALYSIS_WORK)
    stored = _pattern(type, pattern)
    if ExclusionEntry.objects.filter(exclusion_list=exclusion_list, type=type, pattern=stored).exists():
        raise Conflict(f"pattern: {type} {stored} is on '{exclusion_list.name}' already.")
    entry = ExclusionEntry.objects.create(
        exclusion_list=exclusion_list, type=type, pattern=stored, comment=comment.strip(), created_by=actor
    )
    _reflag(_matching_correlations(type, stored))
    audit_record(
        actor=actor,
        action="exclusion_entry.add",
        obj=entry,
        details={"list": exclusion_list.name, "type": type, "pattern": stored},
    )
    return entry


@transaction.atomic
def exclusion_entry_remove(*, actor: User | None, entry: ExclusionEntry) -> None:
    """Take a pattern off its list; values it alone named correlate and link again."""
    require(actor, Perm.ANALYSIS_WORK)
    details = {"list": entry.exclusion_list.name, "type": entry.type, "pattern": entry.pattern}
    affected = _matching_correlations(entry.type, entry.pattern)
    entry.delete()
    _reflag(affected)
    audit_record(actor=actor, action="exclusion_entry.remove", object_type="analysis.exclusionentry", details=details)


@transaction.atomic
def exclusion_list_delete(*, actor: User | None, exclusion_list: ExclusionList) -> None:
    """Delete a local list and all its patterns."""
    require(actor, Perm.ANALYSIS_WORK)
    affected = [pk for e in exclusion_list.entries.all() for pk in _matching_correlations(e.type, e.pattern)]
    name = exclusion_list.name
    exclusion_list.delete()
    _reflag(sorted(set(affected)))
    audit_record(
        actor=actor, action="exclusion_list.delete", object_type="analysis.exclusionlist", details={"name": name}
    )


# -- campaigns --------------------------------------------------------------------------------------


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


def report_bundle_consulted(*, actor: User, report: IntelReport, bundle: dict[str, Any], via: str) -> None:
    """Log the personal data a report's bundle (``reports.report_bundle``) showed ``actor``: the
    objects of personal data it gave whole (:func:`accord.sharing.services.personal_data_consulted`;
    one whose fields were withheld showed none). A bundle without any writes nothing."""
    included = [item["id"] for item in report.dissemination.get("included", [])]
    shown = {body["id"] for body in bundle["objects"]}
    personal_data_consulted(
        actor=actor,
        objects=StixObject.objects.filter(
            pk__in=included, stix_id__in=sorted(shown), data_category=DataCategory.PERSONAL_DATA
        ).select_related("agreement__current_version"),
        purpose=Purpose.INVESTIGATION,
        via=via,
        report=report.pk,
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


# -- sightings --------------------------------------------------------------------------------------


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
    return sighting


# -- intelligence reports ---------------------------------------------------------------------------


REPORT_TLPS = "clear, green or amber"


def _report_fields(
    *,
    title: str,
    summary: str,
    tlp: str,
    audience: str,
    audience_organisations: Sequence[int],
    audience_regions: Sequence[str],
    campaign_ids: Sequence[int],
    object_ids: Sequence[str],
) -> tuple[list[Organisation], list[str], list[Campaign], list[StixObject]]:
    """The audience and content of a report, checked: a 400 naming what is unknown."""
    if not title.strip():
        raise invalid("title", "A report needs a title.")
    if not summary.strip():
        raise invalid("summary", "A report needs a summary.")
    one_of("tlp", tlp, Tlp)
    if tlp == Tlp.RED:
        raise invalid("tlp", "TLP:RED is for named people; a report goes to organisations.", REPORT_TLPS)
    if tlp == Tlp.AMBER_STRICT:
        raise invalid(
            "tlp", "TLP:AMBER+STRICT stays with the hosting organisation; a report goes to others.", REPORT_TLPS
        )
    one_of("audience", audience, IntelReport.Audience)
    organisations = list(Organisation.objects.filter(pk__in=list(audience_organisations)))
    unknown = sorted(set(audience_organisations) - {o.pk for o in organisations})
    if unknown:
        raise invalid("audience_organisations", f"no organisation {', '.join(map(str, unknown))}.")
    regions = all_of(
        "audience_regions", list(audience_regions), Region, required=audience == IntelReport.Audience.REGIONS
    )
    if audience == IntelReport.Audience.ORGANISATIONS and not organisations:
        raise invalid("audience_organisations", "Name the organisations the report is for.")
    campaigns_found = list(Campaign.objects.filter(pk__in=list(campaign_ids)))
    missing = sorted(set(campaign_ids) - {c.pk for c in campaigns_found})
    if missing:
        raise invalid("campaigns", f"no campaign {', '.join(map(str, missing))}.")
    objects = list(StixObject.objects.filter(stix_id__in=list(object_ids)))
    absent = sorted(set(object_ids) - {o.stix_id for o in objects})
    if absent:
        raise invalid("objects", f"no shared object {', '.join(absent)}.")
    if not campaigns_found and not objects:
        raise invalid("campaigns", "A report is built from campaigns or objects; name at least one.")
    return organisations, regions, campaigns_found, objects


@transaction.atomic
def report_save(
    *,
    actor: User | None,
    report: IntelReport | None = None,
    title: str,
    summary: str,
    assessment: str = "",
    tlp: str = Tlp.AMBER,
    audience: str,
    audience_organisations: Sequence[int] = (),
    audience_regions: Sequence[str] = (),
    campaign_ids: Sequence[int] = (),
    object_ids: Sequence[str] = (),
) -> IntelReport:
    """Create a draft report, or change one that has not been disseminated."""
    require(actor, Perm.ANALYSIS_WORK)
    if report is not None and report.status != IntelReport.Status.DRAFT:
        raise Conflict("status: a disseminated report cannot change; write a new one.")
    organisations, regions, campaigns_found, objects = _report_fields(
        title=title,
        summary=summary,
        tlp=tlp,
        audience=audience,
        audience_organisations=audience_organisations,
        audience_regions=audience_regions,
        campaign_ids=campaign_ids,
        object_ids=object_ids,
    )
    made = report is None
    report = report or IntelReport(stix_id=new_report_id(), created_by=actor)
    report.title, report.summary, report.assessment = title.strip(), summary.strip(), assessment.strip()
    report.tlp, report.audience, report.audience_regions = tlp, audience, regions
    report.updated_at = timezone.now()
    report.dissemination = {}
    report.save()
    report.audience_organisations.set(organisations)
    report.campaigns.set(campaigns_found)
    report.objects_included.set(objects)
    audit_record(
        actor=actor,
        action="report.create" if made else "report.update",
        obj=report,
        details={
            "title": report.title,
            "audience": audience,
            "campaigns": len(campaigns_found),
            "objects": len(objects),
        },
    )
    return report


@transaction.atomic
def report_disseminate(*, actor: User | None, report: IntelReport) -> IntelReport:
    """Check the report and every included object for each organisation of the audience, and
    send what passes to those the report reaches; the organisations it cannot reach and the
    blocked items stay listed with their reasons. The report's STIX object
    goes into the store for the recipients only, and a TAXII collection of the report and what
    it includes is opened to them (exports read it with ``contents_of``)."""
    require(actor, Perm.ANALYSIS_WORK)
    if report.status != IntelReport.Status.DRAFT:
        raise Conflict("status: this report was disseminated already.")
    result = report_check(report)
    if not result["recipients"]:
        unreachable = "; ".join(f"{item['name']}: {item['reason']}" for item in result["unreachable"])
        raise invalid(
            "audience",
            f"No organisation of the audience may receive this TLP:{report.tlp.upper()} report ({unreachable})."
            if unreachable
            else "The audience has no active organisation to receive the report.",
        )
    recipients = list(Organisation.objects.filter(pk__in=[r["id"] for r in result["recipients"]]))
    report.dissemination = result
    report.status = IntelReport.Status.DISSEMINATED
    report.disseminated_at = report.updated_at = timezone.now()
    refs = sorted({item["stix_id"] for item in result["included"]})
    host_product_publish(
        actor=actor, body=report_sdo(report, refs, host_identity()["id"]), tlp=report.tlp, addressed_to=recipients
    )
    report.collection = collection_create(
        kind=CollectionKind.REPORT,
        alias=f"report-{report.pk}",
        title=f"Report: {report.title}"[:200],
        description=f"Intelligence report {report.stix_id} and the objects it includes, for its recipients, "
        "as far as each source's agreement allows.",
        spec={"stix_id": [report.stix_id, *refs]},
        readers=recipients,
    )
    report.save(update_fields=["dissemination", "status", "disseminated_at", "updated_at", "collection"])
    report.delivered_to.set(recipients)
    audit_record(
        actor=actor,
        action="report.disseminate",
        obj=report,
        details={
            "recipients": [r["id"] for r in result["recipients"]],
            "included": len(result["included"]),
            "blocked": len(result["blocked"]),
            "collection": report.collection.alias,
        },
    )
    return report


# -- grading -----------------------------------------------------------------------------------------


@transaction.atomic
def object_grade(
    *,
    actor: User | None,
    stix_id: str,
    reliability: str | None = None,
    credibility: int | None = None,
    reason: str,
) -> int:
    """An analyst's grading of one object (every version): source reliability overriding the
    originator's grade (A–D, X), and information credibility (1–4). The number of versions graded."""
    require(actor, Perm.ANALYSIS_WORK)
    if reliability is None and credibility is None:
        raise invalid("reliability", "Give a reliability, a credibility or both.")
    if reliability is not None:
        one_of("reliability", reliability, ReliabilityGrade)
    if credibility is not None and credibility not in (1, 2, 3, 4):
        raise invalid("credibility", f"{credibility} is not an information credibility.", "1, 2, 3 or 4")
    if not reason.strip():
        raise invalid("reason", "Say why the grading changes.")
    versions = StixObject.objects.select_for_update().filter(stix_id=stix_id)
    before = list(versions.values("modified", "reliability", "credibility"))
    if not before:
        raise NotFound(f"No shared object {stix_id}.")
    changes: dict[str, Any] = {}
    if reliability is not None:
        changes["reliability"] = reliability
    if credibility is not None:
        changes["credibility"] = credibility
    count = versions.update(**changes)
    audit_record(
        actor=actor,
        action="object.grade",
        object_type="sharing.stixobject",
        object_id=stix_id,
        details={"before": [{k: str(v) for k, v in row.items()} for row in before], "after": changes},
        justification=reason,
    )
    return count
