"""The inbox, preferences and what partners are told of shared data: through the API and pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from accord.formats.markings import TLP2_IDS
from accord.notifications.models import Notification
from accord.notifications.services import notifications_digest_daily, notify
from tests.notifications.conftest import share
from tests.stix_samples import indicator

INBOX = "/api/v1/notifications/"
PREFERENCES = "/api/v1/notifications/preferences/"


def ip(n: int, tlp: str, value: str = "45.133.1.20") -> dict[str, Any]:
    return indicator(n, f"[ipv4-addr:value = '{value}']", object_marking_refs=[TLP2_IDS[tlp]])


def tell(person: Any, title: str = "Hello") -> None:
    with transaction.atomic():
        notify("campaign.grew", people=[person], context={"title": title, "text": "It grew."}, link="/analysis/")


def test_a_rolled_back_change_tells_nobody(people, django_capture_on_commit_callbacks):
    person = people["partner_contributor"]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):  # noqa: PT012
        with transaction.atomic():
            notify("submission.failed", people=[person], context={"title": "Broken"})
            raise RuntimeError("the change fails")
    assert not Notification.objects.exists() and not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        notify("submission.failed", people=[person], context={"title": "Broken"})
    assert Notification.objects.get().title == "Broken"
    assert [m.subject for m in mail.outbox] == ["Broken"]  # its role's default for failures: both


def test_inbox_api_lists_ones_own_marks_read_and_all_read(api_for, people):
    me, other = people["partner_contributor"], people["analyst"]
    for n in range(3):
        tell(me, f"Mine {n}")
    tell(other, "Not yours")
    client = api_for(me)
    body = client.get(INBOX).json()
    assert body["count"] == 3 and {r["title"] for r in body["results"]} == {"Mine 0", "Mine 1", "Mine 2"}
    assert all(r["unread"] for r in body["results"])
    first = body["results"][0]["id"]
    read = client.post(f"{INBOX}{first}/read/")
    assert read.status_code == 200 and read.json()["unread"] is False
    assert client.get(INBOX, {"unread": "true"}).json()["count"] == 2
    assert client.get(INBOX, {"unread": "maybe"}).status_code == 400
    foreign = Notification.objects.get(recipient=other).pk
    assert client.post(f"{INBOX}{foreign}/read/").status_code == 404
    assert client.get(f"{INBOX}{foreign}/").status_code == 404
    assert client.post(f"{INBOX}read-all/", {}, format="json").json() == {"marked": 2}
    assert client.get(INBOX, {"unread": "true"}).json()["count"] == 0
    assert Notification.objects.get(recipient=other).read_at is None


def test_preferences_decide_where_one_is_told(api_for, people, django_capture_on_commit_callbacks):
    me = people["partner_contributor"]
    client = api_for(me)
    before = {r["event_type"]: r for r in client.get(PREFERENCES).json()["event_types"]}
    assert before["object.correlated"]["channel"] == "both" and not before["object.correlated"]["own"]
    assert "object.visible" not in before  # webhooks only
    bad = client.patch(PREFERENCES, {"channels": {"object.correlated": "pigeon"}}, format="json")
    assert bad.status_code == 400
    unknown = client.patch(PREFERENCES, {"channels": {"nothing.happened": "none"}}, format="json")
    assert unknown.status_code == 400 and "nothing.happened" in unknown.json()["error"]["details"]
    changed = client.patch(
        PREFERENCES, {"channels": {"campaign.grew": "none", "submission.failed": "in_app"}}, format="json"
    ).json()
    chosen = {r["event_type"]: r for r in changed["event_types"]}
    assert chosen["campaign.grew"]["channel"] == "none" and chosen["campaign.grew"]["own"]
    with django_capture_on_commit_callbacks(execute=True):
        tell(me)
        notify("submission.failed", people=[me], context={"title": "Broken"})
    assert list(Notification.objects.values_list("event_type", flat=True)) == ["submission.failed"]
    assert not mail.outbox  # in the inbox only, as chosen


def test_a_daily_digest_gathers_the_days_mail(api_for, people, django_capture_on_commit_callbacks):
    me = people["partner_contributor"]
    api_for(me).patch(PREFERENCES, {"digest": "daily"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        notify("submission.failed", people=[me], context={"title": "First"})
        notify("submission.failed", people=[me], context={"title": "Second"})
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_digest_daily() == [me.pk]
    (digest,) = mail.outbox
    assert "2 notifications" in digest.subject and "First" in digest.body and "Second" in digest.body
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_digest_daily() == []  # each is mailed once


def test_partners_are_told_of_correlations_only_with_what_they_may_read(
    api_for, partners, django_capture_on_commit_callbacks
):
    kestrel, reader, bank = partners["kestrel"], partners["kestrel_reader"], partners["bank"]
    with django_capture_on_commit_callbacks(execute=True):
        share(api_for(bank), ip(1, "amber+strict"))  # the bank's, which Kestrel may not read
        share(api_for(kestrel), ip(2, "green"))  # Kestrel's, which the bank may read
    told = Notification.objects.filter(event_type="object.correlated")
    # the bank may read Kestrel's GREEN object: told, naming it
    (banks,) = told.filter(recipient=bank)
    assert "45.133.1.20" in banks.title and "indicator--00000000-0000-4000-8000-000000000002" in banks.body
    # Kestrel may not read the bank's AMBER+STRICT object: nobody at Kestrel is told anything of it
    assert not told.filter(recipient__in=[kestrel, reader]).exists()
    assert not Notification.objects.filter(body__contains="000000000001").exclude(recipient=bank).exists()
    with django_capture_on_commit_callbacks(execute=True):
        share(api_for(bank), ip(3, "green"))
    (kestrels,) = told.filter(recipient=kestrel)
    assert "indicator--00000000-0000-4000-8000-000000000003" in kestrels.body
    assert "000000000001" not in kestrels.body and "Atlas" not in kestrels.body + kestrels.title
    # the bank's new GREEN object joined the campaign Kestrel's object is in: told of it alone
    grew = Notification.objects.filter(event_type="campaign.grew", recipient=kestrel)
    assert [n.body.count("- indicator--") for n in grew] == [1]  # one object listed
    assert "000000000003" in grew[0].body and "000000000001" not in grew[0].body


def test_the_bell_counts_unread_on_every_page_and_the_inbox_lists_and_pages(client, people):
    me = people["partner_contributor"]
    for n in range(30):
        tell(me, f"Number {n}")
    client.force_login(me)
    page = client.get("/agreements/")
    assert b'data-testid="unread-count">30<' in page.content
    inbox = client.get("/notifications/")
    assert inbox.status_code == 200 and b"Number 29" in inbox.content and b"Number 0<" not in inbox.content
    assert b"page 1 of 2" in inbox.content
    assert client.get("/notifications/", {"event_type": "nope"}).status_code == 400
    one = Notification.objects.get(title="Number 3")
    opened = client.get(f"/notifications/{one.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/analysis/"
    assert client.post("/notifications/read-all/").status_code == 302
    assert b'data-testid="unread-count">0<' in client.get("/agreements/").content
    settings_page = client.post("/notifications/preferences/", {"digest": "weekly"})
    assert settings_page.status_code == 400 and b"weekly" in settings_page.content
