"""Payment interception as a term of a data-sharing agreement: through the API and the agreement
page, with its deadlines in hours, kept across amendments, refused when out of range."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accord.partners.models import Agreement
from tests.factories import DSA_TERMS, IEP_TERMS, OrganisationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/agreements/"


@pytest.fixture
def bank(db):
    return OrganisationFactory(name="Banco Andino", country="CO", sector="banking_finance", status="vetting")


def _draft(client, bank, **terms):
    return client.post(
        URL,
        {
            "organisation": bank.pk,
            "kind": "data_sharing",
            "title": "Data sharing and payment interception",
            "valid_from": (timezone.now() - timedelta(days=1)).isoformat(),
            "terms": DSA_TERMS | terms,
        },
        format="json",
    )


def test_the_api_records_interception_terms_and_amendments_keep_them(api_for, people, bank):
    manager = api_for("programme_manager")
    created = _draft(manager, bank, payment_interception=True, interception_ack_hours=2)
    assert created.status_code == 201, created.json()
    version = created.json()["current_version"]
    assert (
        version["payment_interception"],
        version["interception_ack_hours"],
        version["interception_outcome_hours"],
    ) == (
        True,
        2,
        None,
    )
    amended = manager.post(
        f"{URL}{created.json()['id']}/amend/",
        {"change_note": "Outcome within two days.", "terms": {"interception_outcome_hours": 48}},
        format="json",
    )
    assert amended.status_code == 200, amended.json()
    version = amended.json()["current_version"]
    assert (
        version["payment_interception"],
        version["interception_ack_hours"],
        version["interception_outcome_hours"],
    ) == (
        True,
        2,
        48,
    )


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"interception_ack_hours": 0}, "interception_ack_hours"),
        ({"interception_ack_hours": 500}, "interception_ack_hours"),
        ({"interception_outcome_hours": 1000}, "interception_outcome_hours"),
    ],
)
def test_out_of_range_deadlines_are_refused_naming_the_term(api_for, people, bank, terms, field):
    response = _draft(api_for("programme_manager"), bank, payment_interception=True, **terms)
    assert response.status_code == 400
    assert field in str(response.json()["error"]["details"])
    assert not Agreement.objects.filter(organisation=bank).exists()


def test_an_agreement_without_the_term_takes_no_requests(api_for, people, bank):
    created = _draft(api_for("programme_manager"), bank)
    assert created.json()["current_version"]["payment_interception"] is False


def test_the_agreement_page_sets_and_shows_the_term(client, people, bank):
    client.force_login(people["programme_manager"])
    assert "Takes payment-interception requests" in client.get("/agreements/new/").content.decode()
    response = client.post(
        "/agreements/new/",
        {
            "organisation": bank.pk,
            "kind": "data_sharing",
            "title": "DSA Banco Andino",
            "valid_from": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            **IEP_TERMS,
            "data_categories": ["financial_identifier"],
            "purposes": ["investigation"],
            "tlp_ceiling": "amber",
            "default_tlp": "amber",
            "onward_kinds": ["law_enforcement"],
            "onward_regions": ["americas"],
            "retention_days": 365,
            "pap": "green",
            "payment_interception": "on",
            "interception_ack_hours": 3,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    agreement = Agreement.objects.get(title="DSA Banco Andino")
    assert (agreement.current_version.payment_interception, agreement.current_version.interception_ack_hours) == (
        True,
        3,
    )
    page = client.get(f"/agreements/{agreement.pk}/").content.decode()
    assert "takes requests: acknowledge within 3 h, first outcome within 24 h" in page
