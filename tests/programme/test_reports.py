"""The programme's reports on a fixture with known sums: API JSON, CSV, the UI page and the CLI."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from accord.programme.models import Enrolment, Secondment, SecondmentRequest, Sponsorship, TrainingSession
from tests.factories import OrganisationFactory, make_agreement
from tests.programme.conftest import make_officer

REPORTS = "/api/v1/programme-reports/"


@pytest.fixture
def history(partner: Any, other_partner: Any, unit: Any, course: Any, expert: Any) -> None:
    """Two years of training, sponsorship and secondment, written as rows with known totals."""
    brazil = OrganisationFactory(
        name="Brazil Federal Cybercrime Division", kind="law_enforcement", sector="", country="BR"
    )
    kenyans = [make_officer(unit, n) for n in range(3)]
    brazilians = [make_officer(brazil, 10 + n) for n in range(2)]

    def session(start: date, end: date, city: str, country: str, region: str, capacity: int = 20) -> TrainingSession:
        return TrainingSession.objects.create(
            course=course, start=start, end=end, city=city, country=country, region=region, capacity=capacity,
            language="en",
        )  # fmt: skip

    nairobi_25 = session(date(2025, 3, 3), date(2025, 3, 7), "Nairobi", "KE", "africa")
    nairobi_26 = session(date(2026, 2, 2), date(2026, 2, 6), "Nairobi", "KE", "africa", capacity=30)
    brasilia_26 = session(date(2026, 5, 4), date(2026, 5, 8), "Brasília", "BR", "americas", capacity=25)
    session(date(2026, 9, 7), date(2026, 9, 11), "Accra", "GH", "africa").enrolments.all()  # no one trained yet
    TrainingSession.objects.create(
        course=course, start=date(2026, 10, 5), end=date(2026, 10, 6), city="Lagos", country="NG", region="africa",
        capacity=10, language="en", cancelled=True,
    )  # fmt: skip
    for officer, sess, status in [
        (kenyans[0], nairobi_25, "completed"),
        (kenyans[1], nairobi_25, "attended"),
        (kenyans[2], nairobi_25, "no_show"),
        (kenyans[0], nairobi_26, "completed"),
        (kenyans[2], nairobi_26, "completed"),
        (brazilians[0], brasilia_26, "completed"),
        (brazilians[1], brasilia_26, "confirmed"),
    ]:
        Enrolment.objects.create(session=sess, officer=officer, status=status)

    training = make_agreement(partner, kind="training_support")
    atlas = make_agreement(other_partner, kind="training_support")
    for organisation, agreement, kind, amount, value, currency in [
        (partner, training, "financial", "25000.00", None, "EUR"),
        (partner, training, "financial", "5000.50", None, "EUR"),
        (partner, training, "financial", "10000", None, "USD"),
        (partner, training, "in_kind", None, "3000", "EUR"),
        (other_partner, atlas, "in_kind", None, "1200.25", "AED"),
        (other_partner, atlas, "in_kind", None, "800", "AED"),
    ]:
        Sponsorship.objects.create(
            organisation=organisation, agreement=agreement, course=course, kind=kind, currency=currency,
            amount=Decimal(amount) if amount else None, estimated_value=Decimal(value) if value else None,
            in_kind_items=["venue"] if kind == "in_kind" else [],
        )  # fmt: skip

    secondment_agreement = make_agreement(partner, kind="secondment")
    research = SecondmentRequest.objects.create(
        reference="SRQ-2026-0001", title="Research", unit="Innovation Centre", project="Dark-web markets",
        purpose="research", location_city="Singapore", location_country="SG", start=date(2026, 1, 1),
        end=date(2026, 12, 31), required_skills={"osint": 3},
    )  # fmt: skip
    operations = SecondmentRequest.objects.create(
        reference="SRQ-2026-0002", title="Ops", unit="Operations", project="Operation Nightjar",
        purpose="operations_support", location_city="Singapore", location_country="SG", start=date(2025, 11, 1),
        end=date(2026, 12, 31), required_skills={"osint": 3},
    )  # fmt: skip
    for n, (request, start, end, status) in enumerate(
        [
            (research, date(2026, 1, 1), date(2026, 3, 31), "completed"),  # 90 days
            (operations, date(2025, 11, 1), date(2026, 1, 30), "active"),  # 91 days, 61 of them in 2025
            (operations, date(2026, 6, 1), date(2026, 6, 30), "cancelled"),  # not counted
        ]
    ):
        Secondment.objects.create(
            reference=f"PLC-2026-{n:04}", expert=expert, request=request, organisation=partner,
            agreement=secondment_agreement, start=start, end=end, status=status,
        )  # fmt: skip


def test_officers_trained_per_region_country_and_year(api_for, people, history):
    body = api_for("programme_manager").get(f"{REPORTS}officers-trained/").json()
    assert body["columns"] == ["year", "region", "country", "officers"]
    assert body["rows"] == [
        {"year": 2026, "region": "africa", "country": "KE", "officers": 2},
        {"year": 2026, "region": "americas", "country": "BR", "officers": 1},
        {"year": 2025, "region": "africa", "country": "KE", "officers": 2},
    ]
    only = api_for("programme_manager").get(f"{REPORTS}officers-trained/", {"year": 2025}).json()["rows"]
    assert only == [{"year": 2025, "region": "africa", "country": "KE", "officers": 2}]


def test_sessions_per_region(api_for, people, history):
    rows = api_for("analyst").get(f"{REPORTS}sessions/").json()["rows"]
    assert rows == [
        {"year": 2026, "region": "africa", "sessions": 2, "seats": 50},
        {"year": 2026, "region": "americas", "sessions": 1, "seats": 25},
        {"year": 2025, "region": "africa", "sessions": 1, "seats": 20},
    ]


def test_sponsorship_totals_per_partner_and_currency(api_for, people, history):
    rows = api_for("programme_manager").get(f"{REPORTS}sponsorships/").json()["rows"]
    columns = ("organisation", "currency", "financial", "in_kind_estimated", "sponsorships")
    assert [tuple(row[c] for c in columns) for row in rows] == [
        ("Atlas Bank Group", "AED", 0.0, 2000.25, 2),
        ("Kestrel Threat Labs", "EUR", 30000.5, 3000.0, 3),
        ("Kestrel Threat Labs", "USD", 10000.0, 0.0, 1),
    ]


def test_secondment_person_months_per_partner_and_purpose(api_for, people, history):
    manager = api_for("programme_manager")
    rows = manager.get(f"{REPORTS}secondment-months/").json()["rows"]
    assert [(r["purpose"], r["placements"], r["person_months"]) for r in rows] == [
        ("operations_support", 1, 2.99),  # 91 / 30.4375
        ("research", 1, 2.96),  # 90 / 30.4375
    ]
    in_2025 = manager.get(f"{REPORTS}secondment-months/", {"year": 2025}).json()["rows"]
    assert [(r["purpose"], r["person_months"]) for r in in_2025] == [("operations_support", 2.0)]  # 61 days


def test_csv_download_from_the_api_and_the_ui(api_for, client, people, history):
    response = api_for("programme_manager").get(f"{REPORTS}sponsorships/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == [
        "organisation,currency,financial,in_kind_estimated,sponsorships",
        "Atlas Bank Group,AED,0.00,2000.25,2",
        "Kestrel Threat Labs,EUR,30000.50,3000.00,3",
        "Kestrel Threat Labs,USD,10000.00,0.00,1",
    ]
    client.force_login(people["programme_manager"])
    ui = client.get("/programme/reports/officers-trained.csv?year=2026")
    assert ui.content.decode().splitlines() == [
        "year,region,country,officers",
        "2026,africa,KE,2",
        "2026,americas,BR,1",
    ]
    page = client.get("/programme/reports/").content.decode()
    assert "30,000.50" in page and '<rect width="100.0"' in page  # money with separators and currency
    assert "<td>Kenya</td>" in page and "<td>Africa</td>" in page and "In kind (estimated value)" in page


def test_reports_are_for_programme_staff(api_for, people, client, history):
    assert api_for("partner_contributor").get(f"{REPORTS}sessions/").status_code == 403
    assert api_for("programme_manager").get(f"{REPORTS}unknown/").status_code == 404
    client.force_login(people["partner_reader"])
    assert client.get("/programme/reports/").status_code == 403


def test_report_from_the_cli(db, people, history):
    out = io.StringIO()
    call_command("programme", "report", "sessions", "--csv", "--year", "2025", stdout=out)
    assert out.getvalue().splitlines() == ["year,region,sessions,seats", "2025,africa,1,20"]
