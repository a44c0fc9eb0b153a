"""The governance demo: believable data on top of the partners' and the sharing demo, loaded once."""

from __future__ import annotations

import io

from django.core.management import call_command

from accord.core.audit import audit_verify
from accord.governance.models import Meeting, Membership, Recommendation


def test_demo_seats_meets_recommends_and_confers(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo", stdout=io.StringIO())
    seats = Membership.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert Membership.objects.count() == seats > 0
    assert Recommendation.objects.filter(status="implemented").exists()
    assert any(r.overdue for r in Recommendation.objects.all())
    americas = Meeting.objects.get(title="Regional Working Group Americas: spring meeting")
    assert americas.sequence == 1 and americas.agenda[-1].startswith("Joint session with domain registrars")
    assert audit_verify().ok
