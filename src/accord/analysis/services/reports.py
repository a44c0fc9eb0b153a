"""Intelligence reports: drafting, the dissemination check and delivery (a TAXII collection for
the recipients), and what a report's bundle showed its reader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.analysis.models import Campaign, IntelReport
from accord.analysis.notices import report_tell
from accord.analysis.reader_inputs import record_named
from accord.analysis.reports import host_identity, new_report_id, report_check, report_sdo
from accord.core.audit import audit_record
from accord.core.choices import DataCategory, Purpose, Region, Tlp
from accord.core.errors import Conflict
from accord.core.guards import all_of, invalid, one_of, require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.sharing.models import StixObject, VisibilityChange
from accord.sharing.services import Scope, host_product_publish, personal_data_consulted, visibility_watch
from accord.taxii.choices import CollectionKind
from accord.taxii.services import collection_create

__all__ = [
    "report_bundle_consulted",
    "report_disseminate",
    "report_save",
]


REPORT_TLPS = "clear, green or amber"


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
    # What the report includes reaches its recipients now: versions they could not receive
    # before are late arrivals to them (its own STIX object is new, added now).
    included = [item["id"] for item in result["included"]]
    scope = Scope(tuple(r.pk for r in recipients), Q(pk__in=included))
    named = VisibilityChange.Kind.NAMED
    with visibility_watch(cause=f"report {report.stix_id} disseminated", scopes=[scope], kind=named):
        report = _disseminate(actor, report, result, recipients)
        sent = StixObject.objects.filter(stix_id=report.stix_id).values_list("pk", flat=True)
        record_named([*included, *sent])  # what partners' kept rows follow it by
        return report


def _disseminate(
    actor: User | None, report: IntelReport, result: dict[str, Any], recipients: list[Organisation]
) -> IntelReport:
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
    report_tell(report=report, recipients=recipients)
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
