"""Recommendations and their follow-up, and the good-practices library, through the API."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.governance.models import GoodPractice, Recommendation
from tests.governance.conftest import API, schedule, seat


@pytest.fixture
def meeting(api_for, groups, heads):
    api = api_for("programme_manager")
    seat(api, groups["africa"], heads["kenya"])
    return schedule(api, [groups["global"], groups["africa"]], title="Joint session").json()


def recommend(api, meeting, group, **extra):
    body = {
        "meeting": meeting["id"],
        "group": group.pk,
        "title": "Set up a regional BEC reporting channel",
        "area": "operational",
        "due_date": str(timezone.localdate() + timedelta(days=60)),
    }
    return api.post(f"{API}recommendations/", body | extra, format="json")


def test_status_moves_one_step_at_a_time_with_notes(api_for, meeting, groups):
    api = api_for("programme_manager")
    created = recommend(api, meeting, groups["africa"])
    assert created.status_code == 201, created.content
    rec = created.json()
    assert rec["status"] == "proposed" and rec["allowed_transitions"] == ["adopted", "rejected"]
    url = f"{API}recommendations/{rec['id']}/transition/"

    response = api.post(url, {"to": "implemented"}, format="json")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith("to: a recommendation that is proposed cannot go to implemented")
    assert Recommendation.objects.get().status == "proposed"

    for step in ("adopted", "in_progress", "implemented"):
        response = api.post(url, {"to": step, "note": f"now {step}"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == step
    detail = api.get(f"{API}recommendations/{rec['id']}/").json()
    assert [n["status"] for n in detail["notes"]] == ["adopted", "in_progress", "implemented"]
    assert api.post(url, {"to": "rejected", "note": "late"}, format="json").status_code == 400
    assert AuditEvent.objects.filter(action="governance.recommendation.transition").count() == 3


def test_rejection_needs_a_note_and_the_group_must_have_met(api_for, meeting, groups):
    api = api_for("programme_manager")
    rec = recommend(api, meeting, groups["africa"]).json()
    response = api.post(f"{API}recommendations/{rec['id']}/transition/", {"to": "rejected"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("note:")
    response = recommend(api, meeting, groups["europe"])
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("group:")
    response = recommend(api, meeting, groups["africa"], area="everything")
    assert response.status_code == 400
    assert Recommendation.objects.count() == 1


def test_overdue_recommendations_are_flagged_and_followed_up_per_group_and_region(
    api_for, meeting, groups, django_assert_max_num_queries
):
    api = api_for("programme_manager")
    late = recommend(api, meeting, groups["africa"], title="Train first responders", area="capability_development")
    Recommendation.objects.filter(pk=late.json()["id"]).update(due_date=timezone.localdate() - timedelta(days=5))
    recommend(api, meeting, groups["africa"])
    recommend(api, meeting, groups["global"], title="Strategy review", area="strategy")
    api.post(f"{API}recommendations/{late.json()['id']}/notes/", {"body": "Curriculum drafted."}, format="json")

    with django_assert_max_num_queries(6):
        listed = api.get(f"{API}recommendations/", {"overdue": "true"}).json()
    assert [r["title"] for r in listed["results"]] == ["Train first responders"]
    assert listed["results"][0]["overdue"] is True

    board = api.get(f"{API}groups/{groups['africa'].pk}/followup/").json()
    assert board["total"] == 2 and board["counts"]["proposed"] == 2 and board["overdue"] == [late.json()["id"]]
    region = api.get(f"{API}recommendations/followup/", {"region": "africa"}).json()
    assert region["total"] == 2
    assert api.get(f"{API}recommendations/followup/", {"region": "atlantis"}).status_code == 400


def test_action_items(api_for, meeting, groups, heads):
    api = api_for("programme_manager")
    rec = recommend(api, meeting, groups["africa"]).json()
    url = f"{API}recommendations/{rec['id']}/"
    body = api.post(
        url + "action-items/", {"description": "Draft the channel's terms", "owner": heads["kenya"].pk}, format="json"
    ).json()
    item = body["action_items"][0]
    assert item["done_at"] is None
    done = api.post(url + "complete-action/", {"item": item["id"]}, format="json").json()
    assert done["action_items"][0]["done_at"] is not None
    assert api.post(url + "complete-action/", {"item": item["id"]}, format="json").status_code == 400


def test_members_see_their_groups_recommendations_partners_outside_do_not(api_for, meeting, groups, heads):
    rec = recommend(api_for("programme_manager"), meeting, groups["africa"]).json()
    assert api_for(heads["kenya"]).get(f"{API}recommendations/{rec['id']}/").status_code == 200
    assert api_for(heads["france"]).get(f"{API}recommendations/{rec['id']}/").status_code == 404
    response = api_for(heads["kenya"]).post(
        f"{API}recommendations/{rec['id']}/transition/", {"to": "adopted"}, format="json"
    )
    assert response.status_code == 403


def test_good_practices_are_shared_and_read_by_members(api_for, groups, heads, partner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = api_for("programme_manager")
    seat(manager, groups["global"], heads["kenya"])
    member = api_for(heads["kenya"])
    body = {
        "group": groups["global"].pk,
        "title": "Seizing cryptocurrency wallets",
        "topic": "investigation_techniques",
        "body": "Steps **agreed** with exchanges.",
        "tags": ["Crypto", "seizure"],
        "tlp": "amber",
    }
    created = member.post(f"{API}practices/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["tags"] == ["crypto", "seizure"] and "<strong>agreed</strong>" in created.json()["body_html"]
    manager.post(
        f"{API}practices/",
        body | {"title": "Working with registrars", "topic": "industry_cooperation", "tlp": "clear", "tags": ["dns"]},
        format="json",
    )
    assert member.post(f"{API}practices/", body | {"tlp": "red"}, format="json").status_code == 400
    outsider = api_for(heads["france"])
    assert outsider.post(f"{API}practices/", body, format="json").status_code == 403
    assert GoodPractice.objects.count() == 2

    assert [p["title"] for p in outsider.get(f"{API}practices/").json()["results"]] == ["Working with registrars"]
    found = member.get(f"{API}practices/", {"q": "wallets"}).json()["results"]
    assert [p["title"] for p in found] == ["Seizing cryptocurrency wallets"]
    assert member.get(f"{API}practices/", {"tag": "dns"}).json()["count"] == 1
    assert member.get(f"{API}practices/", {"topic": "digital_forensics"}).json()["count"] == 0

    upload = io.BytesIO(b"checklist v2")
    upload.name = "checklist.txt"
    body = {
        "group": groups["global"].pk,
        "title": "Seizure checklist",
        "topic": "digital_forensics",
        "document": upload,
    }
    shared = member.post(f"{API}practices/", body)
    assert shared.status_code == 201 and shared.json()["has_document"], shared.content
    url = f"{API}practices/{shared.json()['id']}/document/"
    assert b"".join(member.get(url).streaming_content) == b"checklist v2"
    assert outsider.get(url).status_code == 404
