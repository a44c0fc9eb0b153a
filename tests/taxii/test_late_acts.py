"""An originator restores, addresses or keeps longer an object it shared, through the API, its
page and the CLI: the organisation newly entitled to it receives it on its next incremental
TAXII poll (the OASIS ``taxii2-client``), and no one else receives it again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accord.sharing.models import StixObject
from accord.sharing.services import object_revoke
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.taxii.polling import Poller, marked, share, version

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_revocation_undone_through_the_api_reaches_the_poller(poller, partner, reader_org, people, api_for):
    make_agreement(reader_org)
    green = marked(1, "green")
    share(partner, green)
    assert poller.poll() == {version(green)}
    object_revoke(actor=people["partner_contributor"], stix_id=green["id"], reason="sent in error")
    assert poller.withdrawn() == {version(green)}
    answer = api_for("partner_contributor").post(
        f"/api/v1/objects/{green['id']}/restore/", {"reason": "it was right"}, format="json"
    )
    assert answer.status_code == 200 and answer.json() == {"restored_versions": 1}
    assert poller.poll() == {version(green)}
    assert poller.poll() == set()


def test_an_object_addressed_on_its_page_reaches_the_new_addressee_alone(poller, partner, reader_org, people):
    """TLP:AMBER reaches a bank only when addressed to it: addressed on the object's page (after
    its confirmation), the bank receives it; a police force that had it already gets nothing."""
    make_agreement(reader_org)
    reader_org.listed_publicly = True
    reader_org.save(update_fields=["listed_publicly"])
    police = OrganisationFactory(name="KE-NCU", kind="law_enforcement", sector="", country="KE")
    make_agreement(police)
    officer = Poller(poller.url, UserFactory(role="partner_reader", organisation=police))
    amber = marked(1, "amber")
    share(partner, amber)
    assert poller.poll() == set()
    assert officer.poll() == {version(amber)}
    browser = Client()
    browser.force_login(people["partner_contributor"])
    asked = browser.post(f"/shared/{amber['id']}/address/", {"organisations": [reader_org.pk]})
    assert asked.status_code == 200 and "This cannot be undone" in asked.content.decode()
    assert poller.poll() == set()  # asked, not yet done
    done = browser.post(f"/shared/{amber['id']}/address/", {"organisations": [reader_org.pk], "confirm": "yes"})
    assert done.status_code == 302
    assert poller.poll() == {version(amber)}
    assert officer.poll() == set()


def test_a_retention_extended_on_the_command_line_brings_the_object_back(poller, partner, reader_org, people):
    make_agreement(reader_org)
    green = marked(1, "green")
    share(partner, green)
    # Its retention period has ended (the daily purge has not run yet): the reader no longer has it.
    StixObject.objects.filter(stix_id=green["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    public = share(partner, marked(2, "clear"))
    assert poller.poll() == public
    until = (timezone.now() + timedelta(days=10)).isoformat()
    call_command(
        "objects", "extend-retention", green["id"], "--as", "partner_contributor", "--until", until,
        "--reason", "case open",
    )  # fmt: skip
    assert poller.poll() == {version(green)}
