"""Raising requests through the API: validation by the fields' libraries (400 naming the field,
nothing stored), who may raise, and routing to the partner bank, the country's unit, the
programme, or a partner exchange."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.interception.models import InterceptionRequest
from tests.interception.conftest import ABN_IBAN, API, BARCLAYS_IBAN, ETH, raise_body

pytestmark = pytest.mark.django_db


def test_a_unit_raises_a_request_that_goes_to_the_partner_bank_with_its_deadlines(
    world, api_for, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(world["who"]["unit"]).post(API, raise_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("ICP-")
    assert (body["addressee_name"], body["routed_as"], body["status"]) == ("Commerzbank", "partner", "sent")
    assert (body["iban"], body["bic"], body["account_country"]) == ("DE89370400440532013000", "COBADEFFXXX", "DE")
    assert body["bank_name"] == "Commerzbank"
    request = InterceptionRequest.objects.get()
    assert request.ack_due - request.raised_at == timedelta(hours=1)
    assert request.outcome_due - request.raised_at == timedelta(hours=24)
    assert [m.to for m in mailoutbox] == [["commerz@example.org"]]  # the bank's contributor, at once
    assert request.reference in mailoutbox[0].subject
    assert "DE89" not in mailoutbox[0].body  # the account is read on the platform, where reading is logged
    assert AuditEvent.objects.filter(action="interception.raise", object_id=str(request.pk)).exists()
    inbox = api_for(world["who"]["commerz"]).get("/api/v1/notifications/").json()["results"]  # and in the inbox
    link = f"/interceptions/{request.reference}/"
    assert [(n["event_type"], n["link"]) for n in inbox] == [("interception.raised", link)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"iban": "DE89 3704 0044 0532 0130 01"}, "iban"),  # checksum fails
        ({"iban": "XX00123"}, "iban"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-100"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"transferred_at": (timezone.now() + timedelta(hours=2)).isoformat()}, "transferred_at"),
        (
            {"account_kind": "wallet", "iban": "", "wallet": ETH.replace("E", "e", 1), "wallet_currency": "eth"},
            "wallet",
        ),
        ({"account_kind": "wallet", "iban": "", "wallet": ETH, "wallet_currency": "doge"}, "wallet_currency"),
        ({"account_kind": "account", "iban": "", "account_number": "123456", "bic": "NOTABIC"}, "bic"),
        ({"crime_type": "jaywalking"}, "crime_type"),
        ({"legal_basis": "  "}, "legal_basis"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(world, api_for, changes, field):
    response = api_for(world["who"]["unit"]).post(API, raise_body(**changes), format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert field in error["details"], error
    assert not InterceptionRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="interception.raise").exists()


def test_a_bank_that_takes_no_requests_sends_it_to_the_unit_of_its_country_and_the_host_is_told(
    world, api_for, people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(world["who"]["unit"]).post(API, raise_body(iban=ABN_IBAN), format="json")
    body = response.json()
    assert response.status_code == 201, body
    assert (body["addressee_name"], body["routed_as"]) == ("Dutch High Tech Crime Unit", "country_unit")
    assert "ABN AMRO holds the account but no agreement in force covers payment interception" in body["routing_note"]
    told = sorted(m.to[0] for m in mailoutbox)
    assert "nl_officer@example.org" in told
    assert {people[r].email for r in ("admin", "programme_manager", "analyst")} <= set(told)  # the host


def test_an_unreachable_bank_in_a_country_without_a_unit_goes_to_the_programme_never_lost(world, api_for, host):
    response = api_for(world["who"]["unit"]).post(API, raise_body(iban=BARCLAYS_IBAN, currency="GBP"), format="json")
    body = response.json()
    assert response.status_code == 201, body
    assert (body["addressee"], body["routed_as"]) == (host.pk, "host")
    assert "the programme must act" in body["routing_note"]


def test_a_wallet_at_a_partner_exchange_goes_to_the_exchange_with_its_agreed_deadlines(world, api_for):
    body = raise_body(account_kind="wallet", iban="", wallet=ETH.lower(), wallet_currency="eth", exchange="coinharbour")
    response = api_for(world["who"]["unit"]).post(API, body, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert (answer["addressee_name"], answer["routed_as"], answer["wallet"]) == ("CoinHarbour", "partner", ETH)
    request = InterceptionRequest.objects.get()
    assert request.ack_due - request.raised_at == timedelta(hours=2)  # the exchange's agreement says so
    assert request.outcome_due - request.raised_at == timedelta(hours=48)


def test_an_account_number_with_its_bic_is_routed_by_the_bic(world, api_for):
    body = raise_body(account_kind="account", iban="", account_number="0532013000", bic="COBADEFF")
    response = api_for(world["who"]["unit"]).post(API, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["addressee_name"] == "Commerzbank"


def test_the_partner_bank_whose_agreement_is_suspended_is_not_sent_requests(world, api_for):
    agreement = world["commerz"].agreements.get()
    agreement.status = "suspended"
    agreement.save()
    response = api_for(world["who"]["unit"]).post(API, raise_body(), format="json")
    assert response.json()["routed_as"] == "host"  # no German unit takes part


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("unit", 201),  # a law-enforcement unit
        ("commerz", 201),  # a partner bank, for its customer
        ("analyst", 201),  # the programme
        ("bystander", 403),  # a security vendor
        ("unit_reader", 403),  # a reader does not raise
        ("auditor", 403),
    ],
)
def test_who_may_raise(world, api_for, people, who, code):
    user = world["who"].get(who) or people[who]
    response = api_for(user).post(API, raise_body(), format="json")
    assert response.status_code == code, response.json()
    assert InterceptionRequest.objects.count() == (1 if code == 201 else 0)


def test_the_programme_raises_on_behalf_of_a_unit_whose_case_it_becomes(world, api_for):
    body = raise_body(on_behalf_of=world["unit"].pk)
    response = api_for("programme_manager").post(API, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["requester_name"] == "Brigade financière"
    refused = api_for(world["who"]["commerz"]).post(API, raise_body(on_behalf_of=world["unit"].pk), format="json")
    assert refused.status_code == 400
    assert "on_behalf_of" in refused.json()["error"]["details"]


def test_amounts_are_kept_exactly(world, api_for):
    response = api_for(world["who"]["unit"]).post(API, raise_body(amount="1234567.89"), format="json")
    assert InterceptionRequest.objects.get().amount == Decimal("1234567.89")
    assert response.json()["amount"] == "1234567.89"
