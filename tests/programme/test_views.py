"""The programme pages as each role sees them, the forms' refusals, and the CLI."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.programme.models import Course, Expert, Secondment, SecondmentRequest
from tests.programme.conftest import days, make_officer, request_payload

PAGES = [
    "/programme/",
    "/programme/experts/",
    "/programme/experts/new/",
    "/programme/requests/",
    "/programme/secondments/",
    "/programme/courses/",
    "/programme/sessions/",
    "/programme/sponsorships/",
    "/programme/officers/",
]


@pytest.fixture
def open_request(api_for: Any, people: Any) -> SecondmentRequest:
    body = api_for("programme_manager").post("/api/v1/secondment-requests/", request_payload(), format="json").json()
    return SecondmentRequest.objects.get(pk=body["id"])


@pytest.mark.parametrize("role", ["programme_manager", "partner_contributor", "auditor"])
def test_every_page_renders_for_each_role(client, people, role):
    client.force_login(people[role])
    for url in PAGES:
        response = client.get(url)
        expected = 403 if url.endswith("/new/") and role == "auditor" else 200
        assert response.status_code == expected, url
    assert "Secondment &amp; training" in client.get("/").content.decode()


def test_manager_ranks_and_proposes_from_the_request_page(client, people, open_request, expert, secondment_agreement):
    client.force_login(people["programme_manager"])
    page = client.get(f"/programme/requests/{open_request.pk}/").content.decode()
    assert "Yuki Sato" in page and "skills 45.0/45" in page
    response = client.post(f"/programme/requests/{open_request.pk}/", {"expert": expert.pk})
    placement = Secondment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/programme/secondments/{placement.pk}/"
    client.post(f"/programme/secondments/{placement.pk}/", {"to": "approved"})
    assert Secondment.objects.get().status == "approved"
    refused = client.post(f"/programme/secondments/{placement.pk}/", {"to": "cancelled"}, follow=True)
    assert "say why" in refused.content.decode() and Secondment.objects.get().status == "approved"
    kept = client.post(
        f"/programme/secondments/{placement.pk}/", {"to": "approved", "reason": "Budget cut by the board"}
    )
    assert kept.status_code == 400 and 'value="Budget cut by the board"' in kept.content.decode()


def test_partner_portal_shows_only_its_own(client, people, partner, other_partner, expert):
    Expert.objects.create(
        organisation=other_partner, full_name="Hidden Person", email="h@x.example", skills={"osint": 1}
    )
    client.force_login(people["partner_contributor"])
    page = client.get("/programme/experts/").content.decode()
    assert "Yuki Sato" in page and "Hidden Person" not in page
    hidden = Expert.objects.get(full_name="Hidden Person")
    assert client.get(f"/programme/experts/{hidden.pk}/").status_code == 404
    response = client.post(
        "/programme/experts/new/",
        {"full_name": "New Expert", "email": "n@kestrel.example", "skill_osint": "3", "languages": "en:C1",
         "clearance_level": "none", "availability": f"{days(1)}..{days(90)}"},
    )  # fmt: skip
    assert response.status_code == 302
    created = Expert.objects.get(full_name="New Expert")
    assert created.organisation == partner and created.availability == [
        {"start": days(1).isoformat(), "end": days(90).isoformat()}
    ]
    bad = client.post("/programme/experts/new/", {"full_name": "X", "email": "x@k.example", "clearance_level": "none"})
    assert bad.status_code == 400 and "skills: name at least one skill" in bad.content.decode()
    assert client.post("/programme/courses/", {"code": "X"}).status_code == 403


def test_course_form_and_filters(client, people, course):
    client.force_login(people["programme_manager"])
    client.post(
        "/programme/courses/",
        {"code": "osint-101", "title": "OSINT for investigators", "topic": "OSINT", "level": "foundation",
         "delivery_mode": "online", "duration_days": 2, "learning_outcomes": "Search safely", "pass_score": 60},
    )  # fmt: skip
    assert Course.objects.filter(code="OSINT-101").exists()
    page = client.get("/programme/courses/", {"delivery_mode": "online"}).content.decode()
    assert "OSINT for investigators" in page and "Cryptocurrency investigations" not in page


def test_cli_candidates_and_verify(people, open_request, expert, secondment_agreement):
    out = io.StringIO()
    call_command("programme", "candidates", open_request.reference, stdout=out)
    assert "Yuki Sato" in out.getvalue() and "100" in out.getvalue()
    with pytest.raises(CommandError, match="No certificate has this code"):
        call_command("programme", "verify", "NOPE-NOPE-NOPE-NOPE", stdout=out)
    with pytest.raises(CommandError, match="--as"):
        call_command("programme", "report", "sessions", "--as", "partner_reader", stdout=out)


def test_officer_registration_from_the_ui(client, people, unit, unit_contributor):
    client.force_login(unit_contributor)
    response = client.post("/programme/officers/", {"full_name": "Grace Wanjiru", "email": "g.w@police.example"})
    assert response.status_code == 302
    make_officer(unit, 5)
    page = client.get("/programme/officers/", {"q": "grace"}).content.decode()
    assert "Grace Wanjiru" in page and "Officer 05" not in page


def test_edit_an_expert_and_close_a_request_in_the_ui(client, people, expert, open_request):
    client.force_login(people["partner_contributor"])
    form = client.get(f"/programme/experts/{expert.pk}/edit/").content.decode()
    assert 'value="en:C1"' in form
    response = client.post(
        f"/programme/experts/{expert.pk}/edit/",
        {"full_name": "Yuki Sato", "email": expert.email, "skill_malware_analysis": "4", "languages": "en:C2",
         "clearance_level": "secret", "clearance_expires": days(800).isoformat(), "availability": ""},
    )  # fmt: skip
    assert response.status_code == 302
    expert.refresh_from_db()
    assert (expert.skills, expert.languages, expert.is_active) == (
        {"malware_analysis": 4},
        [{"language": "en", "proficiency": "C2"}],
        False,  # the box was left unticked
    )
    assert (
        client.post(f"/programme/requests/{open_request.pk}/", {"op": "status", "status": "closed"}).status_code == 403
    )
    client.force_login(people["programme_manager"])
    client.post(f"/programme/requests/{open_request.pk}/", {"op": "status", "status": "closed"})
    open_request.refresh_from_db()
    assert open_request.status == "closed"
