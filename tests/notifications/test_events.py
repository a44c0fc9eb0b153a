"""Events the daily jobs and lifecycle changes tell: agreements expiring (30 and 7 days ahead,
once each), activated and suspended; training reminders; recommendations overdue, as before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core import mail
from django.utils import timezone

from accord.notifications.models import Notification
from accord.partners.services import agreement_suspend, agreements_sweep
from accord.programme.services import enrolment_nominate, session_create, training_reminders_daily
from tests.analysis.conftest import share, sharers  # noqa: F401 - a fixture
from tests.factories import make_agreement
from tests.programme.conftest import make_officer
from tests.stix_samples import indicator


def titles(person: Any, event: str) -> list[str]:
    return list(Notification.objects.filter(recipient=person, event_type=event).values_list("title", flat=True))


def test_an_agreement_ending_is_warned_at_30_then_7_days_once_each(people, partner, django_capture_on_commit_callbacks):
    now = timezone.now()
    agreement = make_agreement(partner, valid_until=now + timedelta(days=40))
    contributor, manager = people["partner_contributor"], people["programme_manager"]
    agreements_sweep(now=now)
    assert titles(contributor, "agreement.expiring") == []
    with django_capture_on_commit_callbacks(execute=True):
        agreements_sweep(now=now + timedelta(days=15))
    assert titles(contributor, "agreement.expiring") == [f"Agreement {agreement.reference} ends in 25 days"]
    assert titles(manager, "agreement.expiring") == [f"Agreement {agreement.reference} ends in 25 days"]
    assert contributor.email in {m.to[0] for m in mail.outbox}  # contributors: inbox and e-mail
    agreements_sweep(now=now + timedelta(days=16))
    assert len(titles(contributor, "agreement.expiring")) == 1  # once per threshold
    agreements_sweep(now=now + timedelta(days=35))
    assert titles(contributor, "agreement.expiring")[0] == f"Agreement {agreement.reference} ends in 5 days"
    assert len(titles(contributor, "agreement.expiring")) == 2
    assert titles(people["analyst"], "agreement.expiring") == []  # not the host's other staff


def test_a_suspension_tells_the_partner(people, partner):
    agreement = make_agreement(partner)
    agreement_suspend(actor=people["programme_manager"], agreement=agreement, reason="Audit findings")
    (told,) = Notification.objects.filter(recipient=people["partner_reader"], event_type="agreement.suspended")
    assert told.title == f"Agreement {agreement.reference} was suspended" and "Audit findings" in told.body
    assert told.link == f"/agreements/{agreement.pk}/"


def test_training_reminders_reach_the_officer_and_who_nominated_them_once(
    people, unit, unit_contributor, course, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    make_agreement(unit, kind="training_support")
    session = session_create(
        actor=None,
        course=course,
        start=today + timedelta(days=20),
        end=today + timedelta(days=24),
        capacity=10,
        language="en",
        online=True,
        region="africa",
    )
    officer = make_officer(unit, 1)
    enrolment_nominate(actor=unit_contributor, session=session, officer=officer)
    assert training_reminders_daily(today=today) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert len(training_reminders_daily(today=today + timedelta(days=14))) == 1
    assert [m.to for m in mail.outbox] == [[unit_contributor.email], [officer.email]]
    assert "Cryptocurrency investigations starts in 6 days" in mail.outbox[1].subject
    assert titles(unit_contributor, "training.reminder")
    assert training_reminders_daily(today=today + timedelta(days=15)) == []


def test_a_sighting_tells_the_organisation_that_shared_the_value_never_naming_the_sighter(
    api_for,
    sharers,  # noqa: F811 - the fixture imported above
    django_capture_on_commit_callbacks,
):
    """Kestrel shared a URL; Atlas Bank reports sighting it: Kestrel's people are told, with a
    link that keeps the whole value (it holds ``&``), and Atlas is named nowhere."""
    kestrel, banker = sharers
    url = "http://pay-verify.example.com/login?a=1&b=2"
    share(api_for(kestrel), indicator(1, f"[url:value = '{url}']"))
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_for(banker).post("/api/v1/sightings/", {"type": "url", "value": url}, format="json")
    assert answer.status_code == 201, answer.json()
    told = Notification.objects.get(recipient=kestrel, event_type="object.sighted")
    assert url in told.title and "Atlas" not in f"{told.title} {told.body}"
    assert told.link == "/shared/?observable=http%3A%2F%2Fpay-verify.example.com%2Flogin%3Fa%3D1%26b%3D2"
    assert not Notification.objects.filter(recipient=banker, event_type="object.sighted").exists()
