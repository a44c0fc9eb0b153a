"""Enrichment pages and the ``accord enrich`` command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.enrichment.models import Enricher, Enrichment
from accord.sharing.models import StixObject
from tests.enrichment.conftest import AMBER_IP, IBAN, SECRET, STRICT_DOMAIN, observable
from tests.factories import make_agreement
from tests.ids import pid


def page_of(value: str) -> str:
    return f"/observables/{pid(observable(value))}/enrichments/"


def test_an_analyst_runs_a_tool_from_the_observable_page(client, people, shared):
    client.force_login(people["analyst"])
    listing = client.get("/observables/", {"type": "iban"}).content.decode()
    assert IBAN in listing and STRICT_DOMAIN not in listing
    page = client.get(page_of(IBAN)).content.decode()
    assert 'data-testid="run-iban-offline"' in page and "run-phone-offline" not in page  # only tools for IBANs
    assert "TLP:GREEN" in page
    response = client.post(page_of(IBAN), {"enricher": Enricher.objects.get(name="iban-offline").pk}, follow=True)
    page = response.content.decode()
    assert "Commerzbank" in page and "COBADEFFXXX" in page and "answered" in page
    panel = client.post(page_of(IBAN), {"enricher": "iban-offline"}, HTTP_HX_REQUEST="true").content.decode()
    assert panel.startswith('<div id="enrichment-panel">') and panel.count('data-testid="result-iban-offline"') == 2


def test_a_tool_above_the_ceiling_offers_no_button(client, people, shared, kestrel_http):
    client.force_login(people["analyst"])
    page = client.get(page_of(AMBER_IP)).content.decode()
    assert 'data-testid="tool-kestrel-sandbox"' in page and "run-kestrel-sandbox" not in page
    assert "Nothing would be sent: Kestrel Threat Labs may receive no live object" in page
    response = client.post(page_of(AMBER_IP), {"enricher": "kestrel-sandbox"}, follow=True)
    assert "Nothing was sent" in response.content.decode() and not Enrichment.objects.exists()


def test_partners_read_results_and_run_nothing(client, people, shared):
    call_command("enrich", "run", "iban-offline", "iban", IBAN, stdout=StringIO())
    client.force_login(people["partner_reader"])
    page = client.get(page_of(IBAN)).content.decode()
    assert "Commerzbank" in page and "run-iban-offline" not in page
    assert client.post(page_of(IBAN), {"enricher": "iban-offline"}).status_code == 403
    assert client.get(page_of(STRICT_DOMAIN)).status_code == 404
    assert client.get("/enrichers/").status_code == 200
    assert "iban-offline" not in client.get("/enrichers/").content.decode()  # a partner sees its own tools only


def test_administrators_disable_and_enable_enrichers(client, people, shared):
    client.force_login(people["analyst"])
    assert 'data-testid="enricher-iban-offline"' in client.get("/enrichers/").content.decode()
    enricher = Enricher.objects.get(name="iban-offline")
    assert client.post(f"/enrichers/{enricher.pk}/disable/").status_code == 403
    client.force_login(people["admin"])
    client.post(f"/enrichers/{enricher.pk}/disable/")
    assert Enricher.objects.get(pk=enricher.pk).enabled is False
    assert "is disabled" in client.get("/enrichers/").content.decode()


def test_cli(shared, partner, partner_service):
    tools = make_agreement(partner, kind="analysis_tools")
    out = StringIO()
    call_command(
        "enrich", "add", "kestrel-pdns", "--kind", "http", "--org", partner.name, "--agreement", tools.reference,
        "--types", "domain,url", "--tlp-ceiling", "green", "--url", f"{partner_service.url}/x", "--secret", SECRET,
        "--disabled", stdout=out,
    )  # fmt: skip
    assert "Enricher kestrel-pdns added (http, for domain, url)" in out.getvalue()
    call_command("enrich", "list", stdout=out)
    assert "kestrel-pdns is disabled" in out.getvalue()
    out = StringIO()
    call_command("enrich", "run", "iban-offline", "iban", "de89 3704 0044 0532 0130 00", stdout=out)
    assert '"bank_name": "Commerzbank"' in out.getvalue()
    call_command("enrich", "results", "iban", IBAN, stdout=out)
    assert "iban-offline" in out.getvalue() and "Commerzbank" in out.getvalue()
    with pytest.raises(CommandError, match="No shared object mentions iban"):
        call_command("enrich", "run", "iban-offline", "iban", "GB82WEST12345698765432", stdout=out)
    with pytest.raises(CommandError, match="does not take iban"):
        call_command("enrich", "run", "phone-offline", "iban", IBAN, stdout=out)
    StixObject.objects.filter(tlp="green").update(revoked=True)
    with pytest.raises(CommandError, match="no live object"):
        call_command("enrich", "run", "iban-offline", "iban", IBAN, stdout=out)
    out = StringIO()
    call_command("enrich", "ingest", "999", stdout=out)
    assert "Nothing to do" in out.getvalue()
