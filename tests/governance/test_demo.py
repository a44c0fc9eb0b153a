"""The governance demo: believable data on top of the partners' and the sharing demo, loaded once."""

from __future__ import annotations

import io

from django.core.management import call_command

from accord.core.audit import audit_verify
from accord.core.models import User
from accord.governance import selectors
from accord.governance.models import Meeting, Membership, Operation, Recommendation


def test_demo_seats_meets_recommends_operates_and_confers(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo", stdout=io.StringIO())
    seats = Membership.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert Membership.objects.count() == seats > 0
    assert Recommendation.objects.filter(status="implemented").exists()
    assert any(r.overdue for r in Recommendation.objects.all())
    americas = Meeting.objects.get(title="Regional Working Group Americas: spring meeting")
    assert americas.sequence == 1 and americas.agenda[-1].startswith("Joint session with domain registrars")
    first_light = Operation.objects.get(codename="first-light-2026")
    assert (
        first_light.object_links.exists() and first_light.collection.readers.count() == first_light.participants.count()
    )
    # The analysts' phishing campaign is linked to First Light, and its collection names it.
    linked = list(first_light.campaign_links.values_list("campaign__name", flat=True))
    assert "Atlas Bank credential phishing" in linked, linked
    assert first_light.collection.spec["campaign"] == list(
        first_light.campaign_links.values_list("campaign_id", flat=True)
    )
    brazil = User.objects.get(username="l.almeida")
    assert first_light in selectors.operation_list(principal=brazil)
    assert audit_verify().ok
