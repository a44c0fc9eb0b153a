"""An operation's TAXII collection dates an object by when it was linked: a participant polling
it incrementally (the OASIS ``taxii2-client``) receives an object shared long before, on its
next poll after the link (TAXII 2.1 §3.2: the date it was added to the collection)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accord.operations.services import operation_create, operation_link_object
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.taxii.polling import Poller, marked, share, version

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_object_linked_later_reaches_the_operations_pollers(live_server, sharer, partner, people):
    police = OrganisationFactory(name="KE-NCU", kind="law_enforcement", sector="", country="KE")
    make_agreement(police)
    first, older = marked(1, "green"), marked(2, "green")
    share(partner, first, older)
    manager = people["programme_manager"]
    operation = operation_create(
        actor=manager, name="Sentinel", crime_types=["phishing"], lead=police, start_date=timezone.localdate()
    )
    operation_link_object(actor=manager, operation=operation, stix_id=first["id"])
    operation.refresh_from_db()
    officer = UserFactory(role="partner_reader", organisation=police)
    poller = Poller(f"{live_server.url}/taxii2/api/collections/{operation.collection_id}/", officer)
    assert poller.poll() == {version(first)}
    operation_link_object(actor=manager, operation=operation, stix_id=older["id"], note="the same kit")
    assert poller.poll() == {version(older)}
    assert poller.poll() == set()
