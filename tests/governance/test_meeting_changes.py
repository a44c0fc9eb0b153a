"""Meetings changed and cancelled (API and meeting page): the rules, the iCalendar CANCEL sent
to the invitees for the same event, and refused changes that store nothing."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from accord.core.models import AuditEvent
from accord.governance.models import Meeting
from tests.governance.conftest import API, login


def _event(message, name):
    found = [(n, c) for n, c, _ in message.attachments if n == name]
    assert found, message.attachments
    calendar = Calendar.from_ical(found[0][1])
    return calendar, calendar.walk("VEVENT")[0]


def test_patch_changes_place_and_agenda_and_refuses_bad_input(
    setting, api_for, heads, django_capture_on_commit_callbacks
):
    meeting = setting["meeting"]
    api = api_for("programme_manager")
    url = f"{API}meetings/{meeting.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"{url}invite/")
    _, invited = _event(mail.outbox.pop(), "invitation.ics")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(url, {"city": "Mombasa", "agenda": ["Opening", "BEC trends"]}, format="json")
    assert response.status_code == 200, response.content
    # Those invited get the changed invitation for the same calendar event.
    assert [m.to for m in mail.outbox] == [[heads["kenya"].email]]
    assert mail.outbox[0].subject.startswith("Changed: Africa spring session")
    _, changed = _event(mail.outbox[0], "invitation.ics")
    assert str(changed["uid"]) == str(invited["uid"]) and "Mombasa" in str(changed["location"])
    assert int(changed["sequence"]) == int(invited["sequence"]) + 1
    assert response.json()["city"] == "Mombasa" and response.json()["agenda"] == ["Opening", "BEC trends"]
    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.sequence == 1 and stored.country == "KE"
    assert AuditEvent.objects.filter(action="governance.meeting.update").count() == 1

    early = (stored.starts_at - timedelta(hours=1)).isoformat()
    refused = api.patch(url, {"ends_at": early, "city": "Kisumu"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["details"] == {"ends_at": ["After starts_at."]}
    assert api.patch(url, {"country": "XX"}, format="json").status_code == 400
    assert Meeting.objects.get(pk=meeting.pk).city == "Mombasa"
    assert api_for("partner_contributor").patch(url, {"city": "Kisumu"}, format="json").status_code == 403
    assert AuditEvent.objects.filter(action="governance.meeting.update").count() == 1


def test_cancel_sends_an_icalendar_cancel_for_the_same_event(
    setting, api_for, heads, django_capture_on_commit_callbacks
):
    meeting = setting["meeting"]
    api = api_for("programme_manager")
    url = f"{API}meetings/{meeting.pk}/"
    assert api_for("analyst").post(f"{url}cancel/", {"reason": "x"}, format="json").status_code == 403
    blank = api.post(f"{url}cancel/", {"reason": "  "}, format="json")
    assert blank.status_code == 400 and blank.json()["error"]["message"].startswith("reason:")
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"{url}invite/")
    _, invited = _event(mail.outbox[0], "invitation.ics")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{url}cancel/", {"reason": "Host venue unavailable"}, format="json")
    assert response.status_code == 200 and response.json() == {"told": 1}
    assert [m.to for m in mail.outbox] == [[heads["kenya"].email]]
    assert mail.outbox[0].subject.startswith("Cancelled: Africa spring session")
    assert "Host venue unavailable" in mail.outbox[0].body
    calendar, event = _event(mail.outbox[0], "cancel.ics")
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == str(invited["uid"]) and int(event["sequence"]) > int(invited["sequence"])
    detail = api.get(url).json()
    assert detail["status"] == "cancelled" and detail["cancel_reason"] == "Host venue unavailable"
    # A cancelled meeting takes no more changes, invitations or cancellations.
    assert api.patch(url, {"city": "Kisumu"}, format="json").status_code == 400
    assert api.post(f"{url}invite/").status_code == 400
    assert api.post(f"{url}cancel/", {"reason": "again"}, format="json").status_code == 400
    attendance = api.post(f"{url}attendance/", {"person": heads["kenya"].pk, "status": "attended"}, format="json")
    assert attendance.status_code == 400 and attendance.json()["error"]["message"].startswith("status:")
    recommendation = {"meeting": meeting.pk, "group": meeting.groups.get().pk, "title": "X", "area": "strategy"}
    assert api.post(f"{API}recommendations/", recommendation, format="json").status_code == 400
    assert not meeting.attendance.exists() and meeting.recommendations.count() == 1
    listed = api.get(f"{API}meetings/", {"status": "cancelled"}).json()
    assert [m["id"] for m in listed["results"]] == [meeting.pk]
    assert api.get(f"{API}meetings/", {"status": "scheduled"}).json()["count"] == 0
    assert AuditEvent.objects.filter(action="governance.meeting.cancel").count() == 1


def test_meeting_page_edits_and_cancels_and_shows_the_rule_next_to_the_field(setting, people, heads):
    meeting = setting["meeting"]
    url = f"/governance/meetings/{meeting.pk}/"
    assert login(heads["kenya"]).post(url, {"op": "cancel", "cancel-reason": "x"}).status_code == 403
    client = login(people["programme_manager"])
    start = timezone.localtime(meeting.starts_at)
    body = {
        "op": "update",
        "edit-title": meeting.title,
        "edit-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "edit-ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "edit-city": "Mombasa",
        "edit-country": "KE",
        "edit-themes": "ransomware\nromance scams",
        "edit-agenda": "Opening",
    }
    refused = client.post(url, body)
    assert refused.status_code == 200
    assert refused.context["edit_form"].errors == {"ends_at": ["the meeting ends before it starts."]}
    assert Meeting.objects.get(pk=meeting.pk).city == "Nairobi"
    body["edit-ends_at"] = (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    assert "Meeting updated" in client.post(url, body, follow=True).content.decode()
    assert Meeting.objects.get(pk=meeting.pk).themes == ["ransomware", "romance scams"]

    blank = client.post(url, {"op": "cancel", "cancel-reason": ""})
    assert blank.context["cancel_form"].errors == {"reason": ["this field is required."]}
    page = client.post(url, {"op": "cancel", "cancel-reason": "Postponed to the autumn"}, follow=True)
    assert 'data-testid="meeting-cancelled"' in page.content.decode()
    assert "Postponed to the autumn" in page.content.decode()
    assert 'data-testid="meeting-edit"' not in page.content.decode()
