"""The operations demo: three operations linked to the demo's intelligence, loaded once."""

from __future__ import annotations

import io

from django.core.management import call_command

from accord.core.audit import audit_verify
from accord.core.models import User
from accord.operations import selectors
from accord.operations.models import Operation


def test_demo_plans_operations_linked_to_the_intelligence(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo", stdout=io.StringIO())
    operations = Operation.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert Operation.objects.count() == operations == 3
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
