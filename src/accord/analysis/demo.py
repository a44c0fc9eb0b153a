"""Demo data of analysis: the campaigns the shared demo data forms get names and notes, a local
exclusion list, partners' sightings, and intelligence reports (one disseminated to member-country
law enforcement, one draft). Correlation and campaigns themselves come from the ingest.

Idempotent: everything is found by name or title before it is made.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accord.analysis.models import Campaign, ExclusionList, IntelReport, Sighting
from accord.analysis.services import (
    campaign_annotate,
    campaign_merge,
    campaign_update,
    exclusion_entry_add,
    exclusion_list_create,
    report_disseminate,
    report_save,
    sighting_record,
)
from accord.core.models import User
from accord.sharing.models import Observable

__all__ = ["load"]

PHISHING_DOMAIN = "secure-login-atlasbank.com"
MULE_IBAN = "GB33BUKB20201555555555"
C2 = "194.147.78.23"

WALLET = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"

CAMPAIGN_NAMES = [
    (PHISHING_DOMAIN, "Atlas Bank credential phishing", "Kit hosted on a cloud tenant; landing pages rotate weekly."),
    (C2, "Phishing back end on a cloud tenant", "The tenant was suspended by Northwind on 8 October."),
    (MULE_IBAN, "Nairobi romance-scam mule ring", "Mule account and cash-out wallet reported by the bank and Kenya."),
]


def _campaign_of(value: str) -> Campaign | None:
    observable = Observable.objects.filter(value=value).first()
    if observable is None:
        return None
    return Campaign.objects.filter(members__stix_object__links__observable=observable).distinct().first()


def load() -> list[object]:
    analyst = User.objects.filter(username="analyst").first()
    for value, name, note in CAMPAIGN_NAMES:
        campaign = _campaign_of(value)
        if campaign is not None and not campaign.named:
            campaign_update(actor=analyst, campaign=campaign, name=name)
            campaign_annotate(actor=analyst, campaign=campaign, text=note)

    mules, wallets = _campaign_of(MULE_IBAN), _campaign_of(WALLET)
    if mules is not None and wallets is not None and mules.pk != wallets.pk:
        campaign_merge(
            actor=analyst,
            campaign_ids=[mules.pk, wallets.pk],
            reason="The same victims' money: the mule account is emptied into the wallet (Nairobi summary).",
        )

    if not ExclusionList.objects.filter(name="Programme infrastructure").exists():
        local = exclusion_list_create(
            actor=analyst, name="Programme infrastructure", description="Our own hosts and sinkholes: never indicators."
        )
        exclusion_entry_add(actor=analyst, exclusion_list=local, type="domain", pattern="*.accord-programme.org")
        exclusion_entry_add(
            actor=analyst, exclusion_list=local, type="ipv4", pattern="192.0.2.0/24", comment="Test sinkhole"
        )

    now = timezone.now()
    for username, kind, value, days, country in (
        ("y.sato", "domain", PHISHING_DOMAIN, 3, "JP"),
        ("k.mwangi", "ipv4", C2, 6, "KE"),
        ("m.reyes", "domain", PHISHING_DOMAIN, 1, "US"),
    ):
        person = User.objects.filter(username=username).first()
        if person is None or Sighting.objects.filter(organisation=person.organisation, value=value).exists():
            continue
        sighting_record(
            actor=person,
            type=kind,
            value=value,
            seen_at=now - timedelta(days=days + 2),
            last_seen=now - timedelta(days=days),
            count=days + 4,
            country=country,
            note="Seen in our telemetry",
        )

    phishing = _campaign_of(PHISHING_DOMAIN)
    romance = _campaign_of(MULE_IBAN)
    if phishing is not None and not IntelReport.objects.filter(title__startswith="Credential phishing").exists():
        report = report_save(
            actor=analyst,
            title="Credential phishing against Atlas Bank customers",
            summary="Three partners reported the same phishing kit; the back end sits on a cloud tenant.",
            assessment="Likely one actor; expect new landing domains on the same back end.",
            tlp="amber",
            audience=IntelReport.Audience.LAW_ENFORCEMENT,
            campaign_ids=[phishing.pk],
        )
        report_disseminate(actor=analyst, report=report)
    if romance is not None and not IntelReport.objects.filter(title__startswith="Romance-scam").exists():
        report_save(
            actor=analyst,
            title="Romance-scam mule ring: accounts and wallets",
            summary="A bank and a national unit report the same mule account and cash-out wallet.",
            tlp="amber",
            audience=IntelReport.Audience.REGIONS,
            audience_regions=["africa", "europe"],
            campaign_ids=[romance.pk],
        )
    return []
