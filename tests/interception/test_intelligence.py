"""What requests bring to the intelligence: the beneficiary account becomes an observable of the
requesting unit, under its handling rules, so a mule account another partner shared is flagged
on both sides as far as the policy allows; requests linked to a joint operation add the funds
intercepted to its outcome totals, per currency."""

from __future__ import annotations

import io
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from accord.operations import services as operation_services
from accord.sharing.models import StixObject
from accord.sharing.services import submission_create, submission_start
from tests.factories import make_agreement
from tests.interception.conftest import API, raise_body

pytestmark = pytest.mark.django_db

MULE = "DE89370400440532013000"
KESTREL_ACCOUNT = "x-accord-bank-account--00000000-0000-4000-8000-0000000000bb"


def _kestrel_shares_the_mule_account(partner):
    make_agreement(partner, default_tlp="green")
    bundle = {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-0000000000aa",
        "objects": [{"type": "x-accord-bank-account", "spec_version": "2.1", "id": KESTREL_ACCOUNT, "iban": MULE}],
    }
    submission, _ = submission_create(
        actor=None, organisation=partner, stream=io.BytesIO(orjson.dumps(bundle)), format="stix", tlp="green"
    )
    submission_start(submission=submission)


def test_a_mule_account_shared_by_a_partner_is_flagged_on_both_sides(
    world, partner, api_for, django_capture_on_commit_callbacks
):
    _kestrel_shares_the_mule_account(partner)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(world["who"]["unit"]).post(API, raise_body(), format="json")
    body = response.json()
    # The account is now the unit's observable, under its agreement (its default marking).
    own = StixObject.objects.get(stix_id=body["stix_id"])
    assert (own.organisation, own.tlp, own.data_category) == (world["unit"], "amber", "financial_identifier")
    assert list(own.observables.values_list("type", "value")) == [("iban", MULE)]
    # The unit's side: the request names the partner's object that mentions the account.
    detail = api_for(world["who"]["unit"]).get(f"{API}{body['reference']}/").json()
    assert detail["seen_in_shared"] == [KESTREL_ACCOUNT]
    # The programme's analysts see the correlation of two sources.
    [row] = [c for c in api_for("analyst").get("/api/v1/correlations/").json()["results"] if c["value"] == MULE]
    assert row["organisation_count"] == 2
    # A bank that is not in the case learns nothing of the request from shared data.
    assert api_for(world["who"]["abn"]).get(f"{API}{body['reference']}/").status_code == 404


def test_without_a_partner_report_nothing_is_flagged(world, api_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = api_for(world["who"]["unit"]).post(API, raise_body(), format="json").json()
    assert api_for(world["who"]["unit"]).get(f"{API}{body['reference']}/").json()["seen_in_shared"] == []


def test_a_second_request_for_the_same_account_adds_no_second_object(
    world, api_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api_for(world["who"]["unit"]).post(API, raise_body(), format="json").json()
        second = api_for(world["who"]["unit"]).post(API, raise_body(amount="10"), format="json").json()
    assert first["stix_id"] == second["stix_id"]
    assert StixObject.objects.filter(stix_id=first["stix_id"]).values("stix_id").distinct().count() == 1


def test_requests_linked_to_an_operation_add_the_funds_intercepted_to_its_totals(world, api_for, people):
    manager = people["programme_manager"]
    operation = operation_services.operation_create(
        actor=manager,
        name="First Light",
        crime_types=["bec"],
        lead=world["unit"],
        start_date=timezone.localdate() - timedelta(days=5),
    )
    operation_services.operation_transition(actor=manager, operation=operation, to="active")
    operation_services.operation_record_outcome(
        actor=manager, operation=operation, date=timezone.localdate(), funds_frozen=1000, currency="EUR"
    )
    reference = api_for(world["who"]["unit"]).post(API, raise_body(), format="json").json()["reference"]
    bank = api_for(world["who"]["commerz"])
    bank.post(f"{API}{reference}/outcomes/", {"kind": "frozen", "amount": "20000"}, format="json")
    bank.post(f"{API}{reference}/outcomes/", {"kind": "recalled", "amount": "500", "currency": "USD"}, format="json")
    # A bank outside the operation cannot link the request to it; the unit (a participant) can.
    refused = bank.post(f"{API}{reference}/operation/", {"operation": operation.pk}, format="json")
    assert refused.status_code == 403
    linked = api_for(world["who"]["unit"]).post(
        f"{API}{reference}/operation/", {"operation": operation.pk}, format="json"
    )
    assert linked.status_code == 200, linked.json()
    assert linked.json()["operation"] == operation.pk
    totals = api_for(manager).get(f"/api/v1/governance/operations/{operation.pk}/dashboard/").json()
    assert totals["funds"] == {
        "EUR": {"frozen": "21000.00", "recovered": "0.00"},
        "USD": {"frozen": "0.00", "recovered": "500.00"},
    }
    assert totals["intercepted"] == {
        "EUR": {"frozen": "20000.00", "recovered": "0.00"},
        "USD": {"frozen": "0.00", "recovered": "500.00"},
    }
    # Unlinked (null): the operation's totals are its own again.
    api_for(world["who"]["unit"]).post(f"{API}{reference}/operation/", {"operation": None}, format="json")
    totals = api_for(manager).get(f"/api/v1/governance/operations/{operation.pk}/dashboard/").json()
    assert totals["funds"] == {"EUR": {"frozen": "1000.00", "recovered": "0.00"}}
    assert totals["intercepted"] == {}


def test_an_operation_the_unit_does_not_see_cannot_be_linked(world, api_for, people):
    operation = operation_services.operation_create(
        actor=people["programme_manager"],
        name="Elsewhere",
        crime_types=["bec"],
        lead=world["nl_unit"],
        start_date=timezone.localdate(),
    )
    reference = api_for(world["who"]["unit"]).post(API, raise_body(), format="json").json()["reference"]
    answer = api_for(world["who"]["unit"]).post(
        f"{API}{reference}/operation/", {"operation": operation.pk}, format="json"
    )
    assert answer.status_code == 400
    assert "operation" in answer.json()["error"]["details"]
