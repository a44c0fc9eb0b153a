"""``/api/v1/secondment-requests/`` and ``/api/v1/secondments/``: the placement rules, the
workflow, the daily job and its warnings, and who may do what."""

from __future__ import annotations

import io
from datetime import datetime, time
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.core.schedule import run_due_jobs
from accord.programme.models import Expert, Secondment, SecondmentRequest
from tests.factories import OrganisationFactory, make_agreement
from tests.programme.conftest import days, request_payload

REQUESTS = "/api/v1/secondment-requests/"
SECONDMENTS = "/api/v1/secondments/"


def at(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(6)))


@pytest.fixture
def manager(api_for: Any) -> Any:
    return api_for("programme_manager")


@pytest.fixture
def open_request(manager: Any, people: Any) -> dict[str, Any]:
    response = manager.post(REQUESTS, request_payload(), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def propose(client: Any, request: dict[str, Any], expert: Expert, **changes: Any) -> Any:
    return client.post(SECONDMENTS, {"request": request["id"], "expert": expert.pk, **changes}, format="json")


def assert_refused(response: Any, code: str, field: str) -> None:
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    assert field in error["details"]
    assert error["message"].startswith(f"{field}:")


def test_request_propose_approve_and_the_audit_chain(manager, api_for, open_request, expert, secondment_agreement):
    assert open_request["reference"].startswith("SRQ-")
    # The sending partner proposes its own expert for the request's whole period.
    proposed = propose(api_for("partner_contributor"), open_request, expert)
    assert proposed.status_code == 201, proposed.json()
    body = proposed.json()
    assert (body["status"], body["agreement_reference"]) == ("proposed", secondment_agreement.reference)
    assert (body["start"], body["end"]) == (open_request["start"], open_request["end"])
    assert (
        api_for("partner_contributor")
        .post(f"{SECONDMENTS}{body['id']}/transition/", {"to": "approved"}, format="json")
        .status_code
        == 403
    )
    approved = manager.post(f"{SECONDMENTS}{body['id']}/transition/", {"to": "approved"}, format="json")
    assert approved.json()["status"] == "approved"
    assert manager.get(f"{REQUESTS}{open_request['id']}/").json()["status"] == "filled"
    early = manager.post(f"{SECONDMENTS}{body['id']}/transition/", {"to": "active"}, format="json")
    assert early.status_code == 400 and "cannot be active before" in early.json()["error"]["message"]
    actions = list(
        AuditEvent.objects.filter(object_type="programme.secondment", object_id=str(body["id"])).values_list(
            "action", flat=True
        )
    )
    assert actions == ["secondment.propose", "secondment.approved"]
    assert AuditEvent.objects.filter(action="secondment_request.create").count() == 1


def test_overlapping_placements_are_refused_and_nothing_changes(manager, open_request, expert, secondment_agreement):
    assert propose(manager, open_request, expert).status_code == 201
    other = manager.post(REQUESTS, request_payload(title="Second request"), format="json").json()
    before = (Secondment.objects.count(), AuditEvent.objects.count())
    response = propose(manager, other, expert, start=days(100).isoformat(), end=days(150).isoformat())
    assert_refused(response, "overlapping_placement", "expert")
    assert (Secondment.objects.count(), AuditEvent.objects.count()) == before
    # After the first placement's period, the same expert may be placed again.
    later = manager.post(
        REQUESTS, request_payload(title="Later", start=days(200).isoformat(), end=days(260).isoformat()), format="json"
    ).json()
    assert propose(manager, later, expert).status_code == 201


def test_the_agreement_must_be_active_for_the_whole_period(manager, open_request, expert, partner):
    short = make_agreement(partner, kind="secondment", valid_until=at(days(100)))  # ends mid-period
    response = propose(manager, open_request, expert)
    assert_refused(response, "no_covering_agreement", "agreement")
    # A data-sharing agreement is no secondment agreement; a suspended one does not count.
    make_agreement(partner, kind="data_sharing", valid_until=at(days(900)))
    make_agreement(partner, kind="secondment", status="suspended", valid_until=at(days(900)))
    assert_refused(propose(manager, open_request, expert), "no_covering_agreement", "agreement")
    # Within the short agreement's window the placement is fine.
    ok = propose(manager, open_request, expert, end=days(98).isoformat())
    assert ok.status_code == 201 and ok.json()["agreement"] == short.pk
    assert Secondment.objects.count() == 1


def test_period_within_the_request_and_the_maximum_duration(
    manager, open_request, expert, secondment_agreement, settings
):
    assert_refused(propose(manager, open_request, expert, start=days(5).isoformat()), "outside_request", "start")
    assert_refused(propose(manager, open_request, expert, end=days(191).isoformat()), "outside_request", "start")
    bad = propose(manager, open_request, expert, start=days(50).isoformat(), end=days(40).isoformat())
    assert bad.status_code == 400 and bad.json()["error"]["details"] == {"end": ["end ≥ start."]}
    settings.ACCORD_SECONDMENT_MAX_MONTHS = 3
    assert_refused(propose(manager, open_request, expert), "too_long", "end")
    settings.ACCORD_SECONDMENT_MAX_MONTHS = 24
    too_long = manager.post(REQUESTS, request_payload(end=days(10 + 800).isoformat()), format="json")
    assert_refused(too_long, "too_long", "end")
    assert Secondment.objects.count() == 0 and SecondmentRequest.objects.count() == 1


def test_clearance_must_be_enough_and_valid_throughout(manager, open_request, expert, secondment_agreement):
    Expert.objects.filter(pk=expert.pk).update(clearance_expires=days(100))
    assert_refused(propose(manager, open_request, expert), "clearance_expired", "clearance")
    Expert.objects.filter(pk=expert.pk).update(clearance_expires=days(900), clearance_level="confidential")
    assert_refused(propose(manager, open_request, expert), "clearance_insufficient", "clearance")
    assert Secondment.objects.count() == 0


def test_bad_request_input_names_the_field(manager, people):
    unknown = manager.post(REQUESTS, request_payload(required_skills={"lockpicking": 3}), format="json")
    assert_refused(unknown, "unknown_skill", "required_skills")
    past = manager.post(REQUESTS, request_payload(start=days(-1).isoformat()), format="json")
    assert past.status_code == 400 and past.json()["error"]["message"].startswith("start:")
    language = manager.post(
        REQUESTS, request_payload(languages=[{"language": "xx", "proficiency": "B2"}]), format="json"
    )
    assert language.status_code == 400 and "ISO 639-1" in language.json()["error"]["message"]
    assert SecondmentRequest.objects.count() == 0


def test_partners_see_their_own_placements_and_cannot_propose_others_experts(
    manager, api_for, open_request, expert, secondment_agreement, other_partner
):
    stranger = Expert.objects.create(
        organisation=other_partner, full_name="Other Expert", email="o@atlas.example", skills={"malware_analysis": 5}
    )
    make_agreement(other_partner, kind="secondment", valid_until=at(days(900)))
    assert propose(manager, open_request, expert).status_code == 201
    contributor = api_for("partner_contributor")
    hidden = propose(contributor, open_request, stranger)
    assert hidden.status_code == 400  # not visible to Kestrel: the input names what is not there
    assert hidden.json()["error"]["details"] == {
        "expert": [f"No expert with id {stranger.pk} (or you may not see it)."]
    }
    reader_propose = propose(api_for("partner_reader"), open_request, expert)
    assert reader_propose.status_code == 403
    assert [s["expert_name"] for s in contributor.get(SECONDMENTS).json()["results"]] == ["Yuki Sato"]
    assert api_for("partner_contributor").post(REQUESTS, request_payload(), format="json").status_code == 403


def test_list_query_counts(manager, open_request, expert, secondment_agreement, django_assert_max_num_queries):
    propose(manager, open_request, expert)
    with django_assert_max_num_queries(8):
        assert manager.get(SECONDMENTS).json()["count"] == 1
    with django_assert_max_num_queries(8):
        assert manager.get(REQUESTS, {"purpose": "operations_support"}).json()["count"] == 1


def test_the_daily_job_activates_completes_and_warns_once(
    manager, people, expert, secondment_agreement, settings, django_capture_on_commit_callbacks
):
    settings.ACCORD_DAILY_JOBS = ["accord.programme.services.secondments_daily"]
    request = manager.post(
        REQUESTS, request_payload(start=days(0).isoformat(), end=days(20).isoformat()), format="json"
    ).json()
    Expert.objects.filter(pk=expert.pk).update(clearance_expires=days(25))
    placement = propose(manager, request, expert).json()
    manager.post(f"{SECONDMENTS}{placement['id']}/transition/", {"to": "approved"}, format="json")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert run_due_jobs(now=at(days(0))) == ["accord.programme.services.secondments_daily"]
    assert manager.get(f"{SECONDMENTS}{placement['id']}/").json()["status"] == "active"
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        f"Secondment {placement['reference']} ends in 20 days",
        f"Secondment {placement['reference']} ends in 20 days",
        "Security clearance of Yuki Sato expires in 25 days",
        "Security clearance of Yuki Sato expires in 25 days",
    ]
    assert {m.to[0] for m in mail.outbox} == {"y.sato@kestrel.example", people["programme_manager"].email}

    mail.outbox.clear()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # a day later: nothing is warned twice
        call_command("programme", "daily", "--now", at(days(1)).isoformat(), stdout=out)
    assert mail.outbox == []
    assert out.getvalue().strip() == "0 change(s) and warning(s)."
    call_command("programme", "daily", "--now", at(days(21)).isoformat(), stdout=out)
    assert f"{placement['reference']} completed" in out.getvalue()
    assert manager.get(f"{SECONDMENTS}{placement['id']}/").json()["status"] == "completed"
    actions = list(
        AuditEvent.objects.filter(object_type="programme.secondment", object_id=str(placement["id"])).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "secondment.propose",
        "secondment.approved",
        "secondment.active",
        "secondment.end_warning",
        "secondment.completed",
    ]


def test_cancel_needs_a_reason_and_reopens_the_request(manager, api_for, open_request, expert, secondment_agreement):
    placement = propose(manager, open_request, expert).json()
    url = f"{SECONDMENTS}{placement['id']}/transition/"
    manager.post(url, {"to": "approved"}, format="json")
    contributor = api_for("partner_contributor")
    no_reason = contributor.post(url, {"to": "cancelled"}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["error"]["message"].startswith("reason:")
    done = contributor.post(url, {"to": "cancelled", "reason": "Expert resigned."}, format="json")
    assert done.json()["status"] == "cancelled"
    assert manager.get(f"{REQUESTS}{open_request['id']}/").json()["status"] == "open"
    final = manager.post(url, {"to": "approved"}, format="json")
    assert final.status_code == 400 and "nothing (final)" in final.json()["error"]["message"]


def test_sending_organisation_must_be_active(manager, open_request, secondment_agreement):
    dormant = OrganisationFactory(name="Dormant Labs", status="suspended")
    make_agreement(dormant, kind="secondment", valid_until=at(days(900)))
    someone = Expert.objects.create(
        organisation=dormant, full_name="D", email="d@dormant.example", skills={"malware_analysis": 5}
    )
    assert_refused(propose(manager, open_request, someone), "organisation_inactive", "expert")
