"""Groups, memberships and meetings through the API: who may join, who may attend, minutes
rendered safely, invitations with an iCalendar attachment."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from icalendar import Calendar

from accord.core.models import AuditEvent
from accord.governance.models import Group, Meeting, Membership
from tests.factories import UserFactory
from tests.governance.conftest import API, schedule, seat


def test_init_seeds_the_expert_group_and_five_regional_groups(db, tmp_path, settings):
    settings.ACCORD_HOME = tmp_path
    call_command("init", "--no-static", verbosity=0)
    call_command("init", "--no-static", verbosity=0)  # idempotent
    assert Group.objects.filter(kind="global").count() == 1
    assert sorted(Group.objects.filter(kind="regional").values_list("region", flat=True)) == [
        "africa",
        "americas",
        "asia_south_pacific",
        "europe",
        "mena",
    ]


def test_group_list_and_detail(api_for, groups, django_assert_max_num_queries):
    api = api_for("partner_reader")
    with django_assert_max_num_queries(6):
        body = api.get(f"{API}groups/", {"kind": "regional"}).json()
    assert body["count"] == 5
    assert api.get(f"{API}groups/expert-group/").json()["kind"] == "global"


def test_regional_group_admits_heads_of_units_of_its_region_only(api_for, groups, heads, partner):
    api = api_for("programme_manager")
    response = seat(api, groups["africa"], heads["kenya"], role="chair")
    assert response.status_code == 201, response.content
    assert AuditEvent.objects.filter(action="governance.membership.add").count() == 1

    before = Membership.objects.count()
    response = seat(api, groups["africa"], heads["france"])
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("person:")
    assert "region" in response.json()["error"]["message"]
    private = UserFactory(organisation=partner)
    response = seat(api, groups["europe"], private)
    assert response.status_code == 400 and "law-enforcement" in response.json()["error"]["message"]
    # One chair at a time, one seat per person.
    response = seat(api, groups["africa"], UserFactory(organisation=heads["kenya"].organisation), role="chair")
    assert response.status_code == 400 and response.json()["error"]["details"] == {
        "role": [response.json()["error"]["message"].split(": ", 1)[1]]
    }
    assert seat(api, groups["africa"], heads["kenya"]).status_code == 400
    assert Membership.objects.count() == before
    # Terms that do not overlap are fine: a past seat, then the current one.
    past = {"term_start": "2019-01-01", "term_end": "2020-12-31", "role": "chair"}
    assert seat(api, groups["africa"], heads["kenya"], **past).status_code == 201
    assert (
        seat(api, groups["africa"], heads["kenya"], term_start="2021-01-01", term_end="2019-01-01").status_code == 400
    )
    # The expert group admits private and academic experts as well as police.
    assert seat(api, groups["global"], private).status_code == 201


def test_only_programme_managers_seat_people(api_for, groups, heads):
    assert seat(api_for("partner_contributor"), groups["africa"], heads["kenya"]).status_code == 403
    assert seat(api_for("analyst"), groups["africa"], heads["kenya"]).status_code == 403


def test_joint_meeting_is_one_meeting_of_the_expert_group_with_regional_groups(api_for, groups):
    api = api_for("programme_manager")
    response = schedule(api, [groups["global"], groups["africa"], groups["mena"]], title="Joint session")
    assert response.status_code == 201, response.content
    assert sorted(response.json()["groups"]) == sorted([groups["global"].pk, groups["africa"].pk, groups["mena"].pk])
    response = schedule(api, [groups["africa"], groups["mena"]])
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("groups:")
    assert Meeting.objects.count() == 1


def test_attendees_are_members_or_invited_guests(api_for, groups, heads, people):
    api = api_for("programme_manager")
    seat(api, groups["africa"], heads["kenya"])
    guest = people["partner_reader"]
    meeting = schedule(api, [groups["africa"]], guests=[guest.pk]).json()
    url = f"{API}meetings/{meeting['id']}/attendance/"
    assert api.post(url, {"person": heads["kenya"].pk, "status": "attended"}, format="json").status_code == 200
    assert api.post(url, {"person": guest.pk, "status": "apologies"}, format="json").status_code == 200
    response = api.post(url, {"person": heads["france"].pk, "status": "attended"}, format="json")
    assert response.status_code == 400
    assert "neither a member" in response.json()["error"]["message"]
    attendance = api.get(f"{API}meetings/{meeting['id']}/").json()["attendance"]
    assert {(a["person"], a["status"]) for a in attendance} == {
        (heads["kenya"].pk, "attended"),
        (guest.pk, "apologies"),
    }


def test_minutes_are_markdown_rendered_without_raw_html_or_script_links(api_for, groups):
    api = api_for("programme_manager")
    meeting = schedule(api, [groups["africa"]]).json()
    minutes = "## Decisions\n\n**Adopted** the plan.\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n"
    response = api.post(f"{API}meetings/{meeting['id']}/minutes/", {"minutes": minutes}, format="json")
    html = response.json()["minutes_html"]
    assert "<h2>Decisions</h2>" in html and "<strong>Adopted</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html


def test_invitations_go_to_members_and_guests_with_an_icalendar_attachment(
    api_for, groups, heads, people, django_capture_on_commit_callbacks
):
    api = api_for("programme_manager")
    seat(api, groups["africa"], heads["kenya"])
    guest = people["partner_reader"]
    meeting = schedule(api, [groups["africa"]], guests=[guest.pk]).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{API}meetings/{meeting['id']}/invite/")
    assert response.json() == {"invited": 2}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([heads["kenya"].email, guest.email])
    message = next(m for m in mail.outbox if m.to == [heads["kenya"].email])
    assert "Nairobi" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("invitation.ics", "text/calendar")
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert str(event["summary"]) == "Heads of units: Africa, spring session"
    assert event.decoded("dtstart") == Meeting.objects.get().starts_at.replace(microsecond=0)
    assert str(event["attendee"]) == f"mailto:{heads['kenya'].email}"


def test_an_ended_seat_elsewhere_does_not_keep_a_current_member_from_the_invitation(
    api_for, groups, heads, django_capture_on_commit_callbacks
):
    api = api_for("programme_manager")
    seat(api, groups["africa"], heads["kenya"])
    today = timezone.localdate()
    Membership.objects.create(
        group=groups["global"],
        person=heads["kenya"],
        organisation=heads["kenya"].organisation,
        term_start=today - timedelta(days=400),
        term_end=today - timedelta(days=100),
    )
    meeting = schedule(api, [groups["africa"]]).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{API}meetings/{meeting['id']}/invite/")
    assert response.json() == {"invited": 1}
    assert [m.to[0] for m in mail.outbox] == [heads["kenya"].email]


def test_meetings_are_seen_by_their_groups_members_and_guests_only(api_for, groups, heads, people):
    manager = api_for("programme_manager")
    seat(manager, groups["africa"], heads["kenya"])
    meeting = schedule(manager, [groups["africa"]]).json()
    assert api_for(heads["kenya"]).get(f"{API}meetings/{meeting['id']}/").status_code == 200
    assert api_for(heads["france"]).get(f"{API}meetings/{meeting['id']}/").status_code == 404
    assert api_for(heads["france"]).get(f"{API}meetings/").json()["count"] == 0


def test_meeting_end_before_start_is_refused(api_for, groups):
    start = timezone.now() + timedelta(days=3)
    response = schedule(
        api_for("programme_manager"),
        [groups["africa"]],
        starts_at=start.isoformat(),
        ends_at=(start - timedelta(hours=1)).isoformat(),
    )
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("ends_at:")


def test_meeting_documents_are_kept_with_their_hash_and_read_by_members(api_for, groups, heads, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = api_for("programme_manager")
    seat(manager, groups["africa"], heads["kenya"])
    meeting = schedule(manager, [groups["africa"]]).json()
    upload = io.BytesIO(b"%PDF-1.4 agenda pack")
    upload.name = "agenda.pdf"
    created = manager.post(f"{API}meetings/{meeting['id']}/documents/", {"title": "Agenda pack", "file": upload})
    assert created.status_code == 201, created.content
    assert created.json()["sha256"] == hashlib.sha256(b"%PDF-1.4 agenda pack").hexdigest()
    url = f"{API}meetings/{meeting['id']}/documents/{created.json()['id']}/"
    assert b"".join(api_for(heads["kenya"]).get(url).streaming_content) == b"%PDF-1.4 agenda pack"
    assert api_for(heads["france"]).get(url).status_code == 404
