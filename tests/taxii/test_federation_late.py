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


# On the hub: Operation Relay, led by the national unit; Kestrel shares two indicators and an
# analyst links the second. Then (LINK_OLD) the analyst links the first, older one.
OPERATION = """
import io
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from accord.core.models import Organisation
from accord.formats.markings import TLP2_IDS
from accord.operations.services import operation_create, operation_link_object
from accord.sharing.services import submission_create, submission_process
from tests.factories import UserFactory
from tests.stix_samples import bundle, indicator

host = Organisation.objects.get(is_host=True)
manager = UserFactory(username="relay.manager", role="programme_manager", organisation=host)
analyst = UserFactory(username="relay.analyst", role="analyst", organisation=host)
unit = Organisation.objects.get(name="KE-NCU")
operation = operation_create(actor=manager, name="Relay", crime_types=["phishing"], lead=unit,
                             start_date=timezone.localdate() - timedelta(days=2))
kestrel = Organisation.objects.get(name="Kestrel")
data = bundle(
    indicator(11, "[domain-name:value = 'relay-old.example.com']", object_marking_refs=[TLP2_IDS["green"]]),
    indicator(12, "[domain-name:value = 'relay-new.example.com']", object_marking_refs=[TLP2_IDS["green"]]),
)
submission, _ = submission_create(actor=None, organisation=kestrel, stream=io.BytesIO(data), format="stix")
assert submission_process(submission_id=submission.pk).status == "done"
operation_link_object(actor=analyst, operation=operation, stix_id=indicator(12, "")["id"])
"""

LINK_OLD = """
import django
django.setup()
from accord.core.models import User
from accord.operations.models import Operation
from accord.operations.services import operation_link_object
from tests.stix_samples import indicator

analyst = User.objects.get(username="relay.analyst")
operation_link_object(actor=analyst, operation=Operation.objects.get(codename="relay"), stix_id=indicator(11, "")["id"])
"""


@pytest.mark.django_db
def test_a_federated_instance_stores_an_old_object_linked_to_an_operation_later(hub, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _on_hub(hub, OPERATION)
    auth = (hub["user"], hub["token"])
    listed = requests.get(f"{hub['root']}collections/", headers={"Accept": MEDIA_TYPE}, auth=auth, timeout=10).json()
    relay = next(c["id"] for c in listed["collections"] if c["alias"] == "operation-relay")
    national = OrganisationFactory(name="Hub", kind="international_org", sector="", country="SG")
    feed = feed_add(
        actor=None,
        name="relay",
        kind="taxii",
        url=hub["root"],
        collection=relay,
        username=hub["user"],
        token=hub["token"],
        organisation=national,
        agreement=make_agreement(national),
    )
    first = feed_pull(actor=None, feed=feed)
    assert first.ok and (first.objects, first.new) == (1, 1), first
    old, new = (f"indicator--00000000-0000-4000-8000-{n:012}" for n in (11, 12))
    assert set(StixObject.objects.values_list("stix_id", flat=True)) == {new}

    _on_hub(hub, LINK_OLD)  # older than the feed's cursor: it joined the collection after it
    late = feed_pull(actor=None, feed=feed)
    assert late.ok and (late.objects, late.new) == (1, 1), late
    assert set(StixObject.objects.values_list("stix_id", flat=True)) == {old, new}
    again = feed_pull(actor=None, feed=feed)
    assert again.ok and again.submissions == [] and StixObject.objects.count() == 2
