"""The interception pages: raising with errors shown next to the field, answering with an
onward transfer, withdrawing after a confirmation, filters and paging, and the chain graph."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accord.interception.models import InterceptionRequest
from tests.factories import TEST_PASSWORD
from tests.interception.conftest import ABN_IBAN

pytestmark = pytest.mark.django_db


def _login(username):
    client = Client()
    assert client.login(username=username, password=TEST_PASSWORD)
    return client


def _form(**changes):
    return {
        "account_kind": "iban",
        "iban": "DE89 3704 0044 0532 0130 00",
        "amount": "48500.00",
        "currency": "EUR",
        "transferred_at": (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "crime_type": "bec",
        "case_reference": "BF-2026-0142",
        "legal_basis": "Judicial requisition.",
        "wallet_currency": "",
    } | changes


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"iban": "DE00 1234"}, "iban", "is not a valid IBAN"),
        ({"currency": "XYZ"}, "currency", "is not an ISO 4217 currency"),
        ({"amount": "0"}, "amount", "is not a positive amount"),
        (
            {"transferred_at": (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
            "transferred_at",
            "is in the future",
        ),
    ],
)
def test_raising_with_bad_input_shows_the_error_next_to_the_field(world, changes, field, text):
    page = _login("officer").post("/interceptions/", _form(**changes))
    assert page.status_code == 400
    errors = page.context["form"].errors
    assert field in errors and text in str(errors[field])
    assert not InterceptionRequest.objects.exists()


def test_a_unit_raises_and_the_bank_answers_with_an_onward_transfer_on_the_pages(world):
    unit = _login("officer")
    raised = unit.post("/interceptions/", _form())
    assert raised.status_code == 302
    request = InterceptionRequest.objects.get()
    assert raised["Location"] == f"/interceptions/{request.reference}/"
    bank = _login("commerz")
    page = bank.get(f"/interceptions/{request.reference}/").content.decode()
    assert 'data-testid="acknowledge"' in page and 'data-testid="outcome-form"' in page
    assert bank.post(f"/interceptions/{request.reference}/", {"op": "acknowledge"}).status_code == 302
    missing = bank.post(f"/interceptions/{request.reference}/", {"op": "outcome", "kind": "gone", "amount": "100"})
    assert missing.status_code == 400
    assert "say where the funds went" in missing.content.decode()
    answered = bank.post(
        f"/interceptions/{request.reference}/",
        {
            "op": "outcome",
            "kind": "gone",
            "amount": "28500",
            "onward-account_kind": "iban",
            "onward-iban": ABN_IBAN,
            "onward-transferred_at": (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "onward-wallet_currency": "",
        },
    )
    assert answered.status_code == 302
    onward = InterceptionRequest.objects.get(parent=request)
    chain = unit.get(f"/interceptions/{request.reference}/").content.decode()
    assert onward.reference in chain and "Dutch High Tech Crime Unit" in chain
    assert "28,500.00 EUR" in chain  # on the graph's arrow
    # The unit answers nothing: the addressee's forms are not offered to it.
    assert 'data-testid="outcome-form"' not in chain


def test_withdrawing_asks_for_confirmation_first(world):
    unit = _login("officer")
    unit.post("/interceptions/", _form())
    request = InterceptionRequest.objects.get()
    url = f"/interceptions/{request.reference}/"
    asked = unit.post(url, {"op": "withdraw", "reason": "The victim's bank recalled it."})
    assert asked.status_code == 200 and "this cannot be undone" in asked.content.decode()
    request.refresh_from_db()
    assert request.status == "sent"
    assert "The victim&#x27;s bank recalled it." in asked.content.decode()  # carried to the confirmation
    done = unit.post(url, {"op": "withdraw", "reason": "The victim's bank recalled it.", "confirm": "yes"})
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == "withdrawn"
    assert _login("commerz").post(url, {"op": "withdraw", "reason": "x", "confirm": "yes"}).status_code == 400


def test_the_list_filters_and_pages(world, api_for):
    unit = _login("officer")
    for i in range(27):
        unit.post("/interceptions/", _form(amount=str(100 + i), case_reference=f"BF-{i}"))
    first = unit.get("/interceptions/").content.decode()
    assert first.count("/interceptions/ICP-") == 25
    second = unit.get("/interceptions/?page=2").content.decode()
    assert second.count("/interceptions/ICP-") == 2
    found = unit.get("/interceptions/?q=BF-26").content.decode()
    assert found.count("/interceptions/ICP-") == 1
    assert unit.get("/interceptions/?currency=USD").content.decode().count("/interceptions/ICP-") == 0
