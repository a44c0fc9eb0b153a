"""Demo data of enrichment: the platform's four offline tools (on every ingest), Kestrel's
passive-DNS and sandbox service under its analysis-tools agreement (configured, disabled until
Kestrel's endpoint is reachable), and results on the shared demo data.

Idempotent: enrichers are found by name; results already stored are not made again.
"""

from __future__ import annotations

import secrets

from accord.core.models import Organisation, User
from accord.enrichment.choices import EnrichmentTrigger
from accord.enrichment.models import Enricher, Enrichment
from accord.enrichment.services import enricher_add, observable_enrich, observables_enrich_after_ingest
from accord.partners.choices import AgreementKind
from accord.sharing.choices import SubmissionStatus
from accord.sharing.models import Observable, Submission

__all__ = ["load"]

# (name, kind, title, run on ingest): the financial and phone tools run on every ingest (such
# values are few and their facts matter at once); the domain tool, whose values come by the
# thousand, runs on request.
OFFLINE = [
    ("iban-registry", "iban", "IBAN bank and country (schwifty registry)", True),
    ("phone-metadata", "phone", "Phone country, line type and carrier", True),
    ("domain-suffix", "domain", "Registered domain and public suffix", False),
    ("crypto-address", "crypto", "Crypto address currency and type", True),
]
MULE_IBAN = "GB33BUKB20201555555555"


def load() -> list[object]:
    host = Organisation.objects.filter(is_host=True).first()
    if host is None:
        return []
    for name, kind, title, on_ingest in OFFLINE:
        if not Enricher.objects.filter(name=name).exists():
            enricher_add(
                actor=None,
                name=name,
                kind=kind,
                title=title,
                organisation=host,
                tlp_ceiling="red",
                run_on_ingest=on_ingest,
            )
    kestrel = Organisation.objects.filter(short_name="Kestrel").first()
    tools = kestrel.agreements.filter(kind=AgreementKind.ANALYSIS_TOOLS).first() if kestrel else None
    if kestrel is not None and tools is not None and not Enricher.objects.filter(name="kestrel-sandbox").exists():
        enricher_add(
            actor=None,
            name="kestrel-sandbox",
            kind="http",
            title="Kestrel passive DNS and sandbox verdicts",
            organisation=kestrel,
            agreement=tools,
            types=["domain", "url", "ipv4", "sha256"],
            tlp_ceiling="green",
            timeout_seconds=8,
            url="https://tools.kestrel.example/accord/enrich",
            secret=secrets.token_urlsafe(32),
            enabled=False,
        )
    for submission in Submission.objects.filter(status=SubmissionStatus.DONE).order_by("pk"):
        observables_enrich_after_ingest(submission_id=submission.pk)
    analyst = User.objects.filter(username="analyst").first()
    mule = Observable.objects.filter(type="iban", value=MULE_IBAN).first()
    registry = Enricher.objects.filter(name="iban-registry").first()
    asked = Enrichment.objects.filter(trigger=EnrichmentTrigger.REQUEST).exists()
    if analyst is not None and mule is not None and registry is not None and not asked:
        observable_enrich(actor=analyst, observable=mule, enricher=registry)
    return []
