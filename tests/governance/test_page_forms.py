"""Forms on the governance pages for what the API already did: meeting documents, ending a
seat, action items, papers and their review, programme sessions; and the daily notice to owners
of overdue recommendations."""

from __future__ import annotations

import io
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.governance import services
from accord.governance.models import ActionItem, ConferenceSession, Paper
from tests.governance.conftest import login


def test_document_upload_on_the_meeting_page(setting, people, heads):
    url = f"/governance/meetings/{setting['meeting'].pk}/"
    upload = {"op": "document", "doc-title": "Agenda pack", "doc-file": SimpleUploadedFile("pack.pdf", b"%PDF-1")}
    assert login(heads["kenya"]).post(url, upload).status_code == 403
    client = login(people["programme_manager"])
    empty = client.post(url, {"op": "document", "doc-title": "Empty", "doc-file": SimpleUploadedFile("e.pdf", b"")})
    assert "doc-file" in empty.content.decode() and not setting["meeting"].documents.exists()
    upload["doc-file"] = SimpleUploadedFile("pack.pdf", b"%PDF-1")
    page = client.post(url, upload, follow=True).content.decode()
    assert "Agenda pack" in page and setting["meeting"].documents.get().size == 6


def test_action_items_added_and_done_from_the_meeting_page(setting, people, heads):
    url = f"/governance/meetings/{setting['meeting'].pk}/"
    late = setting["late"]
    client = login(people["programme_manager"])
    refused = client.post(url, {"op": "action", "action-recommendation": late.pk, "action-description": " "})
    assert refused.status_code == 200 and not ActionItem.objects.exists()
    assert "This field is required." in refused.content.decode()
    body = {"op": "action", "action-recommendation": late.pk, "action-description": "Draft the reporting form"}
    assert login(heads["kenya"]).post(url, body).status_code == 403
    assert "Action item added." in client.post(url, body, follow=True).content.decode()
    item = ActionItem.objects.get()
    assert "Action done." in client.post(url, {"op": "action_done", "item": item.pk}, follow=True).content.decode()
    again = client.post(url, {"op": "action_done", "item": item.pk}, follow=True).content.decode()
    assert "already done" in again
    assert AuditEvent.objects.filter(action="governance.action_item.complete").count() == 1


def test_a_membership_ended_from_the_group_page(setting, people, groups, heads):
    seat = groups["africa"].memberships.get(person=heads["kenya"])
    url = f"/governance/groups/{groups['africa'].slug}/"
    client = login(people["programme_manager"])
    early = seat.term_start - timedelta(days=1)
    refused = client.post(url, {"op": "end", "end-membership": seat.pk, "end-term_end": early})
    assert refused.context["end_form"].errors == {"term_end": ["the term ends before it starts."]}
    seat.refresh_from_db()
    assert seat.term_end is None
    assert (
        "Membership ended."
        in client.post(
            url, {"op": "end", "end-membership": seat.pk, "end-term_end": timezone.localdate()}, follow=True
        ).content.decode()
    )
    seat.refresh_from_db()
    assert seat.term_end == timezone.localdate()


def test_papers_submitted_and_reviewed_and_sessions_added_on_the_edition_page(setting, people):
    edition = setting["edition"]
    url = f"/governance/conference/{edition.year}/"
    reader = login(people["partner_contributor"])
    paper = {
        "op": "paper",
        "paper-title": "Tracing mule accounts",
        "paper-abstract": "How banks and police trace BEC proceeds.",
        "paper-speaker_name": "Amina Yusuf",
        "paper-speaker_sector": "private",
    }
    closed = reader.post(url, paper)
    assert "call for papers of" in str(closed.context["paper_form"].non_field_errors()) and not Paper.objects.exists()
    edition.cfp_closes = timezone.localdate() + timedelta(days=30)
    edition.save()
    assert "Paper submitted." in reader.post(url, paper, follow=True).content.decode()
    submitted = Paper.objects.get()
    assert (
        reader.post(url, {"op": "review", "review-paper": submitted.pk, "review-to": "under_review"}).status_code == 403
    )
    manager = login(people["programme_manager"])
    jump = manager.post(
        url, {"op": "review", "review-paper": submitted.pk, "review-to": "accepted", "review-note": "ok"}
    )
    assert "cannot go to accepted" in jump.content.decode()
    for to in ("under_review", "accepted"):
        manager.post(
            url, {"op": "review", "review-paper": submitted.pk, "review-to": to, "review-note": "Fits the theme"}
        )
    assert Paper.objects.get().status == "accepted"

    start = timezone.make_aware(
        timezone.datetime.combine(edition.start_date, timezone.datetime.min.time())
    ) + timedelta(hours=9)
    session = {
        "op": "session",
        "session-title": "Following the money",
        "session-kind": "talk",
        "session-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "session-ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "session-speakers": "Amina Yusuf | Atlas Bank | banker",
    }
    bad = manager.post(url, session)
    assert "speakers" in bad.context["session_form"].errors and not ConferenceSession.objects.exists()
    session["session-speakers"] = "Amina Yusuf | Atlas Bank | private\nInspector Otieno | Kenya NCU | law_enforcement"
    assert "Session added to the programme." in manager.post(url, session, follow=True).content.decode()
    assert ConferenceSession.objects.get().speakers.count() == 2


def test_owners_of_overdue_recommendations_are_told_once(
    setting, people, heads, groups, django_capture_on_commit_callbacks
):
    assert "accord.governance.services.recommendations_overdue_daily" in settings.ACCORD_DAILY_JOBS
    manager = people["programme_manager"]
    owned = services.recommendation_create(
        actor=manager,
        meeting=setting["meeting"],
        group=groups["africa"],
        title="National BEC focal points",
        area="capability_development",
        owner=heads["kenya"],
        due_date=timezone.localdate() - timedelta(days=1),
    )
    services.recommendation_create(
        actor=manager,
        meeting=setting["meeting"],
        group=groups["africa"],
        title="Not yet due",
        area="prevention",
        owner=heads["kenya"],
        due_date=timezone.localdate() + timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.recommendations_overdue_daily() == [owned.pk]
    assert [m.to for m in mail.outbox] == [[heads["kenya"].email]]
    assert mail.outbox[0].subject == "Overdue: National BEC focal points"
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("governance", "overdue", stdout=out)
    assert "0 owner notice(s) sent." in out.getvalue()
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="governance.recommendation.overdue_notice").count() == 1
