"""Answering requests through the API: acknowledgement, partial outcomes that add up, funds gone
onward raising the next request in one step along a three-hop chain, who sees which part of the
chain, withdrawal (never deletion), and amounts never converted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.interception.models import InterceptionRequest
from tests.interception.conftest import ABN_IBAN, API, BARCLAYS_IBAN, raise_body

pytestmark = pytest.mark.django_db


def _raise(api_for, world, **changes):
    response = api_for(world["who"]["unit"]).post(API, raise_body(**changes), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["reference"]


def _onward(iban, hours_ago=1):
    return {
        "account_kind": "iban",
        "iban": iban,
        "transferred_at": (timezone.now() - timedelta(hours=hours_ago)).isoformat(),
    }


def test_the_money_trail_across_three_hops(world, api_for, host, people):
    """Commerzbank freezes 20,000 and saw 28,500 leave for ABN AMRO (not an interception partner:
    the Dutch unit gets it), which saw 28,000 leave for Barclays (nobody there: the programme)."""
    first = _raise(api_for, world)
    bank = api_for(world["who"]["commerz"])
    assert bank.post(f"{API}{first}/acknowledge/").status_code == 200
    frozen = bank.post(f"{API}{first}/outcomes/", {"kind": "frozen", "amount": "20000"}, format="json")
    assert frozen.status_code == 201, frozen.json()
    gone = bank.post(
        f"{API}{first}/outcomes/",
        {"kind": "gone", "amount": "28500.00", "onward": _onward(ABN_IBAN, 2), "note": "SEPA instant"},
        format="json",
    )
    assert gone.status_code == 201, gone.json()
    body = gone.json()
    assert body["status"] == "answered"
    second = body["outcomes"][1]["onward"]
    assert [o["kind"] for o in body["outcomes"]] == ["frozen", "gone"]
    hop2 = InterceptionRequest.objects.get(reference=second)
    assert (hop2.addressee, hop2.raised_by, hop2.requester) == (world["nl_unit"], world["commerz"], world["unit"])
    assert (hop2.amount, hop2.currency, hop2.case_reference) == (Decimal("28500.00"), "EUR", "BF-2026-0142")

    nl = api_for(world["who"]["nl_unit"])
    third_answer = nl.post(
        f"{API}{second}/outcomes/",
        {"kind": "gone", "amount": "28000", "onward": _onward(BARCLAYS_IBAN, 1)},
        format="json",
    )
    assert third_answer.status_code == 201, third_answer.json()
    third = third_answer.json()["outcomes"][0]["onward"]
    assert InterceptionRequest.objects.get(reference=third).addressee == host
    closed = api_for("analyst").post(f"{API}{third}/outcomes/", {"kind": "closed"}, format="json")
    assert closed.status_code == 201, closed.json()

    # The unit whose case it is sees the whole chain, in order.
    chain = api_for(world["who"]["unit"]).get(f"{API}{first}/chain/").json()
    assert [c["reference"] for c in chain] == [first, second, third]
    assert [c["addressee_name"] for c in chain] == ["Commerzbank", "Dutch High Tech Crime Unit", "Test Directorate"]
    # Commerzbank sees what was asked of it and what it raised, not the hop after.
    assert [c["reference"] for c in bank.get(f"{API}{first}/chain/").json()] == [first, second]
    assert bank.get(f"{API}{third}/").status_code == 404
    # The Dutch unit sees its own hop and the one it raised; not the first.
    assert [c["reference"] for c in nl.get(f"{API}{second}/chain/").json()] == [second, third]
    assert nl.get(f"{API}{first}/").status_code == 404


def test_partial_outcomes_add_up_and_never_exceed_the_transfer(world, api_for):
    reference = _raise(api_for, world, amount="1000.00")
    bank = api_for(world["who"]["commerz"])
    assert (
        bank.post(f"{API}{reference}/outcomes/", {"kind": "frozen", "amount": "600"}, format="json").status_code == 201
    )
    assert (
        bank.post(f"{API}{reference}/outcomes/", {"kind": "recalled", "amount": "300"}, format="json").status_code
        == 201
    )
    over = bank.post(f"{API}{reference}/outcomes/", {"kind": "frozen", "amount": "100.01"}, format="json")
    assert over.status_code == 400
    assert "amount" in over.json()["error"]["details"]
    assert "100.00" in over.json()["error"]["message"]
    assert (
        bank.post(f"{API}{reference}/outcomes/", {"kind": "frozen", "amount": "100"}, format="json").status_code == 201
    )
    outcomes = bank.get(f"{API}{reference}/outcomes/").json()
    assert sum(Decimal(o["amount"]) for o in outcomes) == Decimal("1000.00")


def test_an_amount_in_another_currency_is_kept_in_it_not_converted(world, api_for):
    reference = _raise(api_for, world, amount="1000.00")
    bank = api_for(world["who"]["commerz"])
    answer = bank.post(
        f"{API}{reference}/outcomes/", {"kind": "frozen", "amount": "1500", "currency": "usd"}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["outcomes"][0]["currency"] == "USD"
    assert answer.json()["outcomes"][0]["amount"] == "1500.00"
    bad = bank.post(f"{API}{reference}/outcomes/", {"kind": "frozen", "amount": "1", "currency": "ZZZ"}, format="json")
    assert bad.status_code == 400
    assert "currency" in bad.json()["error"]["details"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "gone", "amount": "10"}, "onward"),  # where did it go?
        ({"kind": "frozen"}, "amount"),
        ({"kind": "frozen", "amount": "-5"}, "amount"),
        ({"kind": "closed", "amount": "5"}, "amount"),
        ({"kind": "nothing_found", "onward": _onward(ABN_IBAN)}, "onward"),
        ({"kind": "gone", "amount": "10", "onward": _onward("NL91ABNA0417164301")}, "onward"),  # bad checksum
        ({"kind": "vanished"}, "kind"),
    ],
)
def test_a_bad_outcome_is_a_400_naming_the_field_and_changes_nothing(world, api_for, body, field):
    reference = _raise(api_for, world)
    answer = api_for(world["who"]["commerz"]).post(f"{API}{reference}/outcomes/", body, format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["error"]["details"]
    request = InterceptionRequest.objects.get(reference=reference)
    assert (request.status, request.outcomes.count(), InterceptionRequest.objects.count()) == ("sent", 0, 1)


def test_only_the_addressee_answers(world, api_for, people):
    reference = _raise(api_for, world)
    assert api_for(world["who"]["unit"]).post(f"{API}{reference}/acknowledge/").status_code == 403
    assert api_for("analyst").post(f"{API}{reference}/acknowledge/").status_code == 403
    assert api_for(world["who"]["commerz_reader"]).post(f"{API}{reference}/acknowledge/").status_code == 403
    assert api_for(world["who"]["abn"]).post(f"{API}{reference}/acknowledge/").status_code == 404
    assert api_for(world["who"]["commerz"]).post(f"{API}{reference}/acknowledge/").status_code == 200
    again = api_for(world["who"]["commerz"]).post(f"{API}{reference}/acknowledge/")
    assert again.status_code == 400  # the workflow names what is allowed


def test_a_request_is_withdrawn_never_deleted(world, api_for, mailoutbox, django_capture_on_commit_callbacks):
    reference = _raise(api_for, world)
    unit = api_for(world["who"]["unit"])
    assert unit.delete(f"{API}{reference}/").status_code == 405
    assert (
        api_for(world["who"]["commerz"]).post(f"{API}{reference}/withdraw/", {"reason": "x"}, format="json").status_code
        == 403
    )
    assert unit.post(f"{API}{reference}/withdraw/", {}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        answer = unit.post(f"{API}{reference}/withdraw/", {"reason": "The victim's bank recalled it."}, format="json")
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["withdrawn_reason"]) == (
        "withdrawn",
        "The victim's bank recalled it.",
    )
    assert InterceptionRequest.objects.filter(reference=reference).exists()
    assert any("withdrawn" in m.subject for m in mailoutbox)
    late = api_for(world["who"]["commerz"]).post(f"{API}{reference}/outcomes/", {"kind": "closed"}, format="json")
    assert late.status_code == 400
    assert AuditEvent.objects.filter(action="interception.withdraw").count() == 1
