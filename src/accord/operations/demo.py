"""Demo data of joint operations: three operations linked to the demo's shared intelligence
(objects, and the named campaigns of their crime types), with phases and outcomes.

Idempotent: it adds nothing once an operation exists.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from accord.analysis.selectors import campaign_list
from accord.analysis.taxonomy import europol_tags
from accord.core.choices import OrganisationStatus
from accord.core.models import Organisation, User
from accord.operations import services
from accord.operations.models import Operation
from accord.policy import Action, principal_context, visible
from accord.sharing.models import StixObject

__all__ = ["load"]


def load() -> list[Any]:
    if Operation.objects.exists():
        return []
    people = {u.username: u for u in User.objects.select_related("organisation")}
    if "manager" not in people:
        return []
    _operations(people["manager"], people.get("analyst"), timezone.localdate())
    return []


def _operations(manager: User, analyst: User | None, today: date) -> None:
    orgs = {o.short_name: o for o in Organisation.objects.filter(status=OrganisationStatus.ACTIVE)}
    lead = orgs.get("KE-NCU") or Organisation.objects.get(is_host=True)
    partners = [orgs[s] for s in ("BR-FCD", "JO-CCU", "Kestrel", "Atlas Bank") if s in orgs]
    first_light = services.operation_create(
        actor=None,
        name="First Light 2026",
        crime_types=["bec", "phishing"],
        lead=lead,
        participants=partners,
        start_date=today - timedelta(days=60),
        description="Coordinated action against BEC networks and the phishing infrastructure behind them.",
    )
    for name, first, last in (("Intelligence build-up", 60, 31), ("Action days", 30, 26)):
        services.operation_phase_add(
            actor=None,
            operation=first_light,
            name=name,
            start_date=today - timedelta(days=first),
            end_date=today - timedelta(days=last),
        )
    services.operation_transition(actor=None, operation=first_light, to="active")
    outcomes: tuple[tuple[int, dict[str, Any]], ...] = (
        (29, {"arrests": 14, "searches": 22, "accounts_blocked": 310, "funds_frozen": 1_850_000, "currency": "USD"}),
        (27, {"arrests": 6, "domains_taken_down": 420, "servers_taken_down": 9, "country": "BR"}),
        (20, {"victims_identified": 1_240, "victims_notified": 1_100, "funds_recovered": 640_000, "currency": "USD"}),
    )
    for days, figures in outcomes:
        services.operation_record_outcome(
            actor=None, operation=first_light, date=today - timedelta(days=days), **figures
        )
    if analyst is not None:
        seen = visible(
            principal_context(analyst), StixObject.objects.filter(crime_type__in=["bec", "phishing"]), Action.VIEW
        )
        for stix_id in list(dict.fromkeys(seen.values_list("stix_id", flat=True)))[:12]:
            services.operation_link_object(actor=analyst, operation=first_light, stix_id=stix_id)

    cookie_jar = services.operation_create(
        actor=None,
        name="Cookie Jar",
        crime_types=["cryptojacking"],
        lead=lead,
        participants=[orgs[s] for s in ("Halcyon", "Northwind") if s in orgs],
        start_date=today - timedelta(days=200),
        end_date=today - timedelta(days=100),
    )
    services.operation_transition(actor=None, operation=cookie_jar, to="active")
    services.operation_record_outcome(
        actor=None,
        operation=cookie_jar,
        date=today - timedelta(days=150),
        servers_taken_down=31,
        devices_remediated=48_000,
    )
    services.operation_transition(
        actor=None,
        operation=cookie_jar,
        to="closed",
        closing_summary="Mining pools' command servers seized; vendors pushed remediation to 48,000 devices.",
    )
    jordan = orgs.get("JO-CCU") or lead
    heartbreak = services.operation_create(
        actor=None,
        name="Heartbreak",
        crime_types=["romance_scam"],
        lead=jordan,
        participants=[orgs[s] for s in ("Atlas Bank", "Meridional") if s in orgs],
        start_date=today + timedelta(days=45),
        description="Romance-scam networks laundering through mule accounts in the Gulf and South America.",
    )
    if analyst is not None:
        _link_campaigns(analyst, [first_light, heartbreak])


def _link_campaigns(analyst: User, operations: list[Operation]) -> None:
    """Link each open operation to the campaigns the analysts named (the analysis demo) that
    the analyst may see and that concern one of its crime types."""
    campaigns = list(campaign_list(principal=analyst).filter(named=True).order_by("pk"))
    for operation in operations:
        wanted = set(europol_tags(operation.crime_types))
        for campaign in campaigns:
            if wanted & set(campaign.crime_types):
                services.operation_link_campaign(actor=analyst, operation=operation, campaign=campaign.pk)
