"""Deadlines and escalation with a controllable clock (the services' and the job's ``now``):
acknowledgement within an hour, a first outcome within a day, or what the agreement says; the
periodic job escalates each late deadline once; the dashboard shows what waits and how late."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.interception import services
from accord.interception.models import InterceptionRequest
from accord.interception.selectors import interceptions_waiting
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NOON = timezone.now().replace(microsecond=0) - timedelta(days=2)


def _raise(world, **changes):
    fields = {
        "account_kind": "iban",
        "iban": "DE89370400440532013000",
        "amount": "48500",
        "currency": "EUR",
        "transferred_at": NOON - timedelta(hours=3),
        "crime_type": "bec",
        "case_reference": "BF-2026-0142",
        "legal_basis": "Judicial requisition.",
    } | changes
    return services.interception_raise(actor=world["who"]["unit"], now=NOON, **fields)


def test_late_acknowledgement_and_late_outcome_each_escalate_once(
    world, people, mailoutbox, django_capture_on_commit_callbacks
):
    request = _raise(world)
    assert (request.ack_due, request.outcome_due) == (NOON + timedelta(hours=1), NOON + timedelta(hours=24))
    assert services.interceptions_escalate(now=NOON + timedelta(minutes=59)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.interceptions_escalate(now=NOON + timedelta(minutes=61)) == [request.reference]
    told = {m.to[0] for m in mailoutbox}
    assert {"commerz@example.org", "officer@example.org", people["programme_manager"].email} <= told
    assert all("acknowledgement overdue" in m.subject for m in mailoutbox)
    assert services.interceptions_escalate(now=NOON + timedelta(hours=2)) == []  # once per deadline
    services.interception_acknowledge(actor=world["who"]["commerz"], request=request, now=NOON + timedelta(hours=3))
    assert services.interceptions_escalate(now=NOON + timedelta(hours=23)) == []
    assert services.interceptions_escalate(now=NOON + timedelta(hours=25)) == [request.reference]
    request.refresh_from_db()
    assert (request.ack_escalated_at, request.outcome_escalated_at) == (
        NOON + timedelta(minutes=61),
        NOON + timedelta(hours=25),
    )
    events = AuditEvent.objects.filter(action="interception.escalate", object_id=str(request.pk))
    assert [e.details["deadline"] for e in events.order_by("seq")] == ["acknowledgement", "first outcome"]


def test_an_answered_or_withdrawn_request_is_not_escalated(world):
    answered = _raise(world)
    services.interception_report(
        actor=world["who"]["commerz"], request=answered, kind="nothing_found", now=NOON + timedelta(minutes=30)
    )
    withdrawn = _raise(world, amount="10")
    services.interception_withdraw(actor=world["who"]["unit"], request=withdrawn, reason="Sent in error.")
    assert services.interceptions_escalate(now=NOON + timedelta(days=3)) == []


def test_the_deadlines_follow_the_addressees_agreement(world):
    version = world["commerz"].agreements.get().current_version
    version.interception_ack_hours, version.interception_outcome_hours = 4, 72
    version.save()
    request = _raise(world)
    assert (request.ack_due - NOON, request.outcome_due - NOON) == (timedelta(hours=4), timedelta(hours=72))


def test_the_deadlines_default_to_the_settings(world, settings):
    settings.ACCORD_INTERCEPTION_ACK_HOURS, settings.ACCORD_INTERCEPTION_OUTCOME_HOURS = 2, 12
    request = _raise(world)
    assert (request.ack_due - NOON, request.outcome_due - NOON) == (timedelta(hours=2), timedelta(hours=12))


def test_escalation_by_the_command_and_the_worker_round_job(world, settings, capsys):
    assert "accord.interception.services.interceptions_escalate" in settings.ACCORD_ROUND_JOBS
    request = _raise(world)
    call_command("interceptions", "escalate", "--now", (NOON + timedelta(hours=2)).isoformat())
    assert f"1 escalated: {request.reference}" in capsys.readouterr().out


def test_what_waits_and_how_late_on_the_dashboard(world, people):
    request = _raise(world)
    waiting = interceptions_waiting(principal=world["who"]["commerz"], now=NOON + timedelta(hours=3, minutes=5))
    assert [(w.request.reference, w.waiting_for, w.late) for w in waiting] == [
        (request.reference, "acknowledgement", "2 h 05 min")
    ]
    assert interceptions_waiting(principal=world["who"]["abn"]) == []
    assert interceptions_waiting(principal=world["who"]["unit"]) == []  # it waits on the bank, not the unit
    client = Client()
    client.login(username="commerz", password=TEST_PASSWORD)
    page = client.get("/").content.decode()
    assert "Payment interception: waiting" in page and request.reference in page
    client.login(username="analyst", password=TEST_PASSWORD)
    assert request.reference in client.get("/").content.decode()  # the programme sees all that waits
    client.login(username="abn", password=TEST_PASSWORD)
    assert request.reference not in client.get("/").content.decode()


def test_the_escalation_mail_names_no_account(world, mailoutbox, django_capture_on_commit_callbacks):
    _raise(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.interceptions_escalate(now=NOON + timedelta(hours=2))
    assert mailoutbox and not any("DE89" in m.body for m in mailoutbox)
    assert InterceptionRequest.objects.count() == 1
