"""A federated Accord receives late arrivals: when the hub's agreements change so that a
national unit may now receive objects the hub added before, the unit's TAXII feed stores them on
its next pull; versions it holds already, delivered again, are recognised (not stored twice,
not counted as new)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import requests

from accord.feeds.services import feed_add, feed_pull
from accord.sharing.models import StixObject
from accord.taxii.api import MEDIA_TYPE
from tests.factories import OrganisationFactory, make_agreement
from tests.taxii.test_federation import hub

__all__ = ["hub"]  # the fixture: a second Accord, of this module's own

# On the hub: Osprey, a partner whose agreement does not let its data go onward to law
# enforcement, shares an indicator the national unit may not receive; then Kestrel one it may.
OSPREY_SHARES = """
import io
import django
django.setup()
from accord.core.models import Organisation
from accord.sharing.services import submission_create, submission_process
from tests.factories import OrganisationFactory, make_agreement
from tests.stix_samples import bundle, indicator
from accord.formats.markings import TLP2_IDS

osprey = OrganisationFactory(name="Osprey", country="FR")
make_agreement(osprey, onward_kinds=["private", "academia"])
data = bundle(indicator(4, "[domain-name:value = 'late.example.com']", object_marking_refs=[TLP2_IDS["green"]]))
submission, _ = submission_create(actor=None, organisation=osprey, stream=io.BytesIO(data), format="stix")
assert submission_process(submission_id=submission.pk).status == "done"
# Then Kestrel shares one the unit may receive: a poller that reads it is past Osprey's.
kestrel = Organisation.objects.get(name="Kestrel")
data = bundle(indicator(5, "[domain-name:value = 'later.example.com']", object_marking_refs=[TLP2_IDS["green"]]))
submission, _ = submission_create(actor=None, organisation=kestrel, stream=io.BytesIO(data), format="stix")
assert submission_process(submission_id=submission.pk).status == "done"
"""

# On the hub: Osprey's agreement amended to share onward with law enforcement too, and the
# national unit's own agreement suspended and reactivated (everything it had arrives again).
HUB_CHANGES = """
import django
django.setup()
from accord.core.models import Organisation
from accord.partners.models import Agreement
from accord.partners.services import agreement_activate, agreement_amend, agreement_suspend

osprey = Agreement.objects.get(organisation__name="Osprey")
agreement_amend(actor=None, agreement=osprey, change_note="police too",
                terms={"onward_kinds": ["private", "academia", "law_enforcement"]})
unit = Agreement.objects.get(organisation__name="KE-NCU")
agreement_suspend(actor=None, agreement=unit, reason="review")
agreement_activate(actor=None, agreement=unit, reason="reviewed")
"""


def _on_hub(hub: dict[str, Any], script: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=hub["environment"], timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.django_db
def test_a_federated_instance_stores_late_arrivals_on_its_next_pull(hub, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _on_hub(hub, OSPREY_SHARES)
    auth = (hub["user"], hub["token"])
    listed = requests.get(f"{hub['root']}collections/", headers={"Accept": MEDIA_TYPE}, auth=auth, timeout=10).json()
    shared = next(c["id"] for c in listed["collections"] if c["alias"] == "shared")
    national = OrganisationFactory(name="Hub", kind="international_org", sector="", country="SG")
    feed = feed_add(
        actor=None,
        name="hub",
        kind="taxii",
        url=hub["root"],
        collection=shared,
        username=hub["user"],
        token=hub["token"],
        organisation=national,
        agreement=make_agreement(national),
    )
    first = feed_pull(actor=None, feed=feed)
    assert first.ok and (first.objects, first.new) == (3, 3), first
    held = set(StixObject.objects.values_list("stix_id", "modified"))
    assert "indicator--00000000-0000-4000-8000-000000000004" not in {stix_id for stix_id, _ in held}

    _on_hub(hub, HUB_CHANGES)
    late = feed_pull(actor=None, feed=feed)
    assert late.ok, late
    # The late one is stored; the three it had came again and were recognised.
    assert (late.objects, late.new) == (4, 1), late
    now = set(StixObject.objects.values_list("stix_id", "modified"))
    assert {stix_id for stix_id, _ in now - held} == {"indicator--00000000-0000-4000-8000-000000000004"}
    assert StixObject.objects.count() == 4
    again = feed_pull(actor=None, feed=feed)
    assert again.ok and again.submissions == [] and StixObject.objects.count() == 4
