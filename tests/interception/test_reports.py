"""The figures: per month, region, crime type and bank, requests, acknowledgement and outcome
times (median, 90th percentile), amounts per currency never converted, the share answered in
time; as API, CSV (formula-safe) and a page with charts, over the requests the reader sees."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accord.interception import services
from tests.factories import TEST_PASSWORD
from tests.interception.conftest import ETH

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=3)


def _raise(world, *, hours_to_ack, hours_to_outcome, amount="1000", **changes):
    fields = {
        "account_kind": "iban",
        "iban": "DE89370400440532013000",
        "amount": amount,
        "currency": "EUR",
        "transferred_at": T0 - timedelta(hours=1),
        "crime_type": "bec",
        "case_reference": "BF-1",
        "legal_basis": "Requisition.",
    } | changes
    request = services.interception_raise(actor=world["who"]["unit"], now=T0, **fields)
    answerer = world["who"]["commerz"] if request.addressee == world["commerz"] else world["who"]["exchange"]
    services.interception_acknowledge(actor=answerer, request=request, now=T0 + timedelta(hours=hours_to_ack))
    services.interception_report(
        actor=answerer,
        request=request,
        kind="frozen",
        amount=amount,
        now=T0 + timedelta(hours=hours_to_outcome),
    )
    return request


@pytest.fixture
def figures(world):
    _raise(world, hours_to_ack=0.5, hours_to_outcome=4)
    _raise(world, hours_to_ack=1.5, hours_to_outcome=30, amount="250.50")  # late: 24 h allowed
    _raise(
        world,
        hours_to_ack=1,
        hours_to_outcome=10,
        amount="0.75",
        currency="USD",
        account_kind="wallet",
        iban="",
        wallet=ETH,
        wallet_currency="eth",
        exchange="CoinHarbour",
        crime_type="romance_scam",
    )
    withdrawn = _raise(world, hours_to_ack=1, hours_to_outcome=2, amount="5")
    services.interception_withdraw(actor=world["who"]["unit"], request=withdrawn, reason="Duplicate.")


def test_by_bank_through_the_api(world, api_for, figures):
    rows = api_for(world["who"]["unit"]).get("/api/v1/interceptions/report/?by=bank").json()
    by_key = {row["key"]: row for row in rows}
    assert set(by_key) == {"Commerzbank", "CoinHarbour"}
    commerz = by_key["Commerzbank"]
    assert commerz["requests"] == 2  # the withdrawn one is left out
    assert (commerz["ack_median"], commerz["ack_p90"]) == (1.0, 1.5)
    assert (commerz["outcome_median"], commerz["outcome_p90"]) == (17.0, 30.0)
    assert commerz["in_time"] == 0.5
    assert commerz["frozen"] == {"EUR": "1250.50"}
    assert by_key["CoinHarbour"]["frozen"] == {"USD": "0.75"}  # never added to euros


def test_by_crime_type_and_region_and_month(world, api_for, figures):
    client = api_for("analyst")
    crime = {r["key"]: r["requests"] for r in client.get("/api/v1/interceptions/report/?by=crime_type").json()}
    assert crime == {"Business email compromise": 2, "Romance scams": 1}
    region = {r["key"]: r["requests"] for r in client.get("/api/v1/interceptions/report/?by=region").json()}
    assert region == {"europe": 3}
    month = client.get("/api/v1/interceptions/report/?by=month").json()
    assert [r["key"] for r in month] == [f"{T0:%Y-%m}"]
    assert client.get("/api/v1/interceptions/report/?by=galaxy").status_code == 400


def test_a_bank_counts_only_what_it_sees(world, api_for, figures):
    rows = api_for(world["who"]["exchange"]).get("/api/v1/interceptions/report/?by=bank").json()
    assert [(r["key"], r["requests"]) for r in rows] == [("CoinHarbour", 1)]
    assert api_for(world["who"]["abn"]).get("/api/v1/interceptions/report/?by=bank").json() == []


def test_the_csv_neutralises_formulas(world, api_for, figures):
    services.interception_raise(
        actor=world["who"]["unit"],
        account_kind="wallet",
        wallet=ETH,
        wallet_currency="eth",
        exchange='=HYPERLINK("http://evil.example","x")',
        amount="1",
        currency="EUR",
        transferred_at=T0,
        crime_type="bec",
        case_reference="BF-2",
        legal_basis="Requisition.",
    )
    response = api_for(world["who"]["unit"]).get("/api/v1/interceptions/report-csv/?by=bank")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["bank", "requests", "ack_median_h"]
    keys = [row[0] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","x")' in keys
    assert not any(key.startswith("=") for key in keys)


def test_the_report_page_has_charts_and_the_csv(world, figures):
    client = Client()
    client.login(username="officer", password=TEST_PASSWORD)
    page = client.get("/interceptions/report/?by=bank")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Median hours to acknowledge" in html and '<svg class="bar"' in html
    assert "Commerzbank" in html and "1250.50 EUR" in html
    download = client.get("/interceptions/report.csv?by=crime_type")
    assert download.status_code == 200 and "Business email compromise" in download.content.decode()


def test_the_cli_figures(world, figures, capsys):
    call_command("interceptions", "figures", "--as", "officer", "--by", "bank")
    out = capsys.readouterr().out
    assert "Commerzbank" in out and "1250.50 EUR" in out
    call_command("interceptions", "figures", "--as", "officer", "--by", "bank", "--csv")
    assert capsys.readouterr().out.startswith("bank,requests")
