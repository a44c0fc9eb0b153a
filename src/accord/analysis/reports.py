"""Intelligence reports: who receives one, what may go to them, and the STIX bundle they get.

The check runs the policy decision (rules 1–5, for an investigation) as if each organisation of
the audience asked: first for the report itself (an organisation whose own agreement does not
accept it is unreachable, listed with the reason, and not sent the report), then for every
included object and every organisation the report reaches: the originator's onward-sharing
terms, the TLP, and the recipient's own agreement. An object goes only if every recipient may
have it; otherwise it is blocked with the reasons, and nothing is left out silently. A reader
later gets the report's bundle with each object as the policy gives it to *them*: redacted
fields removed, the source unnamed where attribution is not allowed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accord.analysis.models import CampaignMember, IntelReport
from accord.core.choices import OrganisationKind, OrganisationStatus, Purpose, Tlp
from accord.core.errors import NotFound
from accord.core.models import Organisation, User
from accord.formats.markings import TLP2_IDS, marking_refs
from accord.formats.stix import as_sent
from accord.formats.writers import stable_uuid, tlp_marking
from accord.policy import Action, PrincipalContext, decide, principal_context, visible
from accord.sharing.models import StixObject
from accord.sharing.selectors import marking_definitions
from accord.sharing.services import host_product

__all__ = [
    "OrganisationPrincipal",
    "host_identity",
    "new_report_id",
    "recipients",
    "report_bundle",
    "report_check",
    "report_objects",
    "report_sdo",
]


@dataclass(frozen=True)
class OrganisationPrincipal:
    """An organisation of the audience as the policy sees a reader of it (no named person, so
    nothing marked TLP:RED reaches it)."""

    organisation: Organisation
    pk: int = 0  # a reader, but no person any TLP:RED object names
    role: str = "partner_reader"
    is_authenticated: bool = True
    is_active: bool = True


def new_report_id() -> str:
    return f"report--{uuid.uuid4()}"


def recipients(report: IntelReport) -> QuerySet[Organisation]:
    """The organisations a report goes to (never the host: it holds everything already)."""
    active = Organisation.objects.filter(is_host=False, status=OrganisationStatus.ACTIVE)
    if report.audience == IntelReport.Audience.ORGANISATIONS:
        return report.audience_organisations.filter(is_host=False).order_by("name")
    if report.audience == IntelReport.Audience.REGIONS:
        return active.filter(region__in=report.audience_regions).order_by("name")
    return active.filter(kind=OrganisationKind.LAW_ENFORCEMENT).order_by("name")


def report_objects(report: IntelReport) -> QuerySet[StixObject]:
    """The object versions a report includes: chosen ones and its campaigns' live members."""
    members = set(
        CampaignMember.objects.filter(campaign__in=report.campaigns.all()).values_list("stix_object_id", flat=True)
    )
    members.update(report.objects_included.values_list("pk", flat=True))
    return (
        StixObject.objects.filter(pk__in=sorted(members))
        .select_related("organisation", "agreement__current_version")
        .prefetch_related("addressed_to", "recipients")
        .order_by("pk")
    )


def _addressed_to(product: StixObject, organisation: Organisation) -> StixObject:
    """``product`` (never saved) as if stored addressed to ``organisation``: the policy reads its
    addressees from the cache prefetching fills, so it decides as it will on the stored one."""
    product.pk = 0  # a related manager needs a key; nothing is read or written by it
    product._prefetched_objects_cache = {"addressed_to": Organisation.objects.filter(pk=organisation.pk)}  # type: ignore[attr-defined]
    return product


def report_check(report: IntelReport) -> dict[str, Any]:
    """What may go to the audience and what may not, with the reasons (stored on dissemination).

    First the report itself: an organisation of the audience whose own agreement does not accept
    it (its TLP, or incident reports) cannot receive it, and is listed as unreachable with the
    reason. Then every included object, for the organisations that can."""
    product = host_product(body=report_sdo(report, [], host_identity()["id"]), tlp=report.tlp)
    contexts, unreachable = [], []
    for org in recipients(report):
        ctx = principal_context(OrganisationPrincipal(org))
        decision = decide(ctx, _addressed_to(product, org), Action.VIEW, Purpose.INVESTIGATION)
        if decision.allowed:
            contexts.append((org, ctx))
        else:
            unreachable.append({"id": org.pk, "name": org.name, "reason": decision.reason})
    included, blocked = [], []
    ceiling = Tlp.rank(report.tlp)
    for obj in report_objects(report):
        reasons = []
        if Tlp.rank(obj.tlp) > ceiling:
            reasons.append(f"its TLP:{obj.tlp.upper()} is more restricted than the report's TLP:{report.tlp.upper()}")
        if obj.revoked:
            reasons.append("its originator revoked it")
        for org, ctx in contexts:
            decision = decide(ctx, obj, Action.VIEW, Purpose.INVESTIGATION)
            if not decision.allowed:
                reasons.append(f"{org.name}: {decision.reason}")
        entry = {"id": obj.pk, "stix_id": obj.stix_id, "type": obj.type, "tlp": obj.tlp}
        if reasons:
            blocked.append(entry | {"reasons": reasons})
        else:
            included.append(entry)
    return {
        "checked_at": timezone.now().isoformat(),
        "recipients": [{"id": org.pk, "name": org.name} for org, _ in contexts],
        "unreachable": unreachable,
        "included": included,
        "blocked": blocked,
    }


def host_identity() -> dict[str, Any]:
    """The hosting organisation as a STIX identity (the same id as in exports)."""
    host = Organisation.objects.filter(is_host=True).values_list("name", flat=True).first() or "Accord"
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{stable_uuid('host:' + host)}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": host,
        "identity_class": "organization",
    }


def report_sdo(report: IntelReport, refs: list[str], identity_id: str) -> dict[str, Any]:
    """The STIX 2.1 ``report`` object (§4.14) of a report, referring to ``refs`` (or, with
    nothing to refer to, to its author: ``object_refs`` may not be empty)."""
    stamp = (report.disseminated_at or report.updated_at).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": report.stix_id,
        "created": report.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "modified": stamp,
        "published": stamp,
        "name": report.title,
        "description": report.summary + ("\n\nAssessment: " + report.assessment if report.assessment else ""),
        "report_types": ["threat-report"],
        "created_by_ref": identity_id,
        "object_refs": refs or [identity_id],
        "object_marking_refs": [TLP2_IDS[report.tlp]],
    }


def report_bundle(report: IntelReport, reader: User) -> dict[str, Any]:
    """The report as a STIX 2.1 bundle for ``reader``: the report SDO, the included objects the
    policy gives the reader as they leave the platform (redacted, sources unnamed where not
    allowed, each with its TLP marking and Accord's extensions declared, as on a TAXII page: the
    library's defaults parse them), the TLP marking and the marking definitions the objects refer
    to. A
    draft (printed by analysts) gets its report object built from what would go now."""
    ctx: PrincipalContext = principal_context(reader)
    allowed_ids = {item["id"] for item in report.dissemination.get("included", [])}
    objects = []
    for obj in report_objects(report).filter(pk__in=allowed_ids):
        decision = decide(ctx, obj, Action.VIEW, Purpose.INVESTIGATION)
        if not decision.allowed:
            continue
        body, _ = as_sent(obj.body, obj.tlp, decision.redactions, decision.granular)
        if body is None:
            continue  # nothing worth sending is left of it
        if not decision.may_name_source:
            body.pop("created_by_ref", None)
        objects.append(body)
    identity = host_identity()
    if report.status == IntelReport.Status.DRAFT:  # the printable draft: what would go now
        sdo = report_sdo(report, sorted({body["id"] for body in objects}), identity["id"])
    else:
        # The report object stored when it went (an id and version are one content in STIX), as
        # the policy lets the reader have it; its refs name everything the check let through.
        found = StixObject.objects.filter(stix_id=report.stix_id)
        stored = visible(ctx, found, Action.VIEW, Purpose.INVESTIGATION).order_by("-modified").first()
        if stored is None:
            raise NotFound(f"No report {report.pk}.")  # as for a report one may not read (report_get)
        sdo = stored.body
    # The marking definitions the objects refer to travel with them, once each (STIX 2.1 §7.2).
    refs = [ref for body in objects for ref in marking_refs(body) if ref != TLP2_IDS[report.tlp]]
    carried = marking_definitions(refs)
    return {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": [identity, tlp_marking(report.tlp), *carried, sdo, *objects],
    }
