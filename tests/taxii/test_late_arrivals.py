"""Nothing a partner may receive is missed: an object that becomes visible to a reader's
organisation after it was added reaches an incremental TAXII poller (the OASIS ``taxii2-client``
polling with ``added_after`` set to the last ``X-TAXII-Date-Added-Last`` it saw, as SIEMs and
Accord's own feeds do) on its next poll; and what stops being visible is listed at
``…/withdrawn/``. One test per cause."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from requests.auth import HTTPBasicAuth
from taxii2client.v21 import as_pages

from accord.analysis.services import report_disseminate, report_save
from accord.partners.services import agreement_activate, agreement_amend, agreement_suspend
from accord.sharing.models import StixObject
from accord.sharing.services import (
    object_address,
    object_restore,
    object_retention_extend,
    object_revoke,
)
from accord.taxii.api import MEDIA_TYPE
from accord.taxii.models import Collection as TaxiiCollection
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.queries import BOUNDED_READ
from tests.taxii.conftest import secret_for
from tests.taxii.polling import Poller, marked, share, version

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reactivated_agreement_brings_what_was_shared_meanwhile(poller, partner, reader_org):
    """The issue's reproduction: suspended, the reader still receives TLP:CLEAR, which moves
    its cursor past what it may not have then; reactivated, it receives exactly that."""
    agreement = make_agreement(reader_org)
    first = share(partner, marked(1, "green"))
    assert poller.poll() == first
    agreement_suspend(actor=None, agreement=agreement, reason="audit pending")
    meanwhile = share(partner, marked(2, "green"), marked(3, "green"), marked(4, "green"))
    public = share(partner, marked(5, "clear"))
    assert poller.poll() == public
    assert poller.withdrawn() == first  # it may learn that it no longer holds the first
    agreement_activate(actor=None, agreement=agreement, reason="audit passed")
    assert poller.poll() == meanwhile | first
    assert poller.poll() == set()


def test_a_first_activation_brings_what_was_shared_before(poller, partner, reader_org):
    agreement = make_agreement(reader_org, status="draft")
    before = share(partner, marked(1, "green"), marked(2, "green"))
    public = share(partner, marked(3, "clear"))
    assert poller.poll() == public
    agreement_activate(actor=None, agreement=agreement)
    assert poller.poll() == before
    assert poller.poll() == set()


def test_a_recipient_amendment_to_a_higher_tlp_brings_what_it_now_accepts(poller, partner, reader_org):
    agreement = make_agreement(reader_org, tlp_ceiling="clear", default_tlp="clear")
    green = share(partner, marked(1, "green"))
    public = share(partner, marked(2, "clear"))
    assert poller.poll() == public
    agreement_amend(actor=None, agreement=agreement, change_note="green too", terms={"tlp_ceiling": "green"})
    assert poller.poll() == green
    assert poller.poll() == set()


def test_an_originator_amendment_to_share_onward_with_more_kinds_brings_its_objects(
    poller, partner, reader_org, sharer
):
    make_agreement(reader_org)
    agreement_amend(
        actor=None, agreement=sharer, change_note="police only", terms={"onward_kinds": ["law_enforcement"]}
    )
    green = share(partner, marked(1, "green"))
    public = share(partner, marked(2, "clear"))
    assert poller.poll() == public
    agreement_amend(
        actor=None, agreement=sharer, change_note="banks too", terms={"onward_kinds": ["law_enforcement", "private"]}
    )
    assert poller.poll() == green


def test_an_object_addressed_to_one_more_organisation_reaches_it(poller, partner, reader_org, people):
    make_agreement(reader_org)
    amber = marked(1, "amber")
    share(partner, amber)
    public = share(partner, marked(2, "clear"))
    assert poller.poll() == public
    assert object_address(actor=people["partner_contributor"], stix_id=amber["id"], organisations=[reader_org]) == 1
    assert poller.poll() == {version(amber)}
    assert poller.poll() == set()


def test_a_revocation_undone_brings_the_object_back_and_the_revocation_is_listed(poller, partner, reader_org, people):
    make_agreement(reader_org)
    green = marked(1, "green")
    share(partner, green)
    assert poller.poll() == {version(green)}
    contributor = people["partner_contributor"]
    object_revoke(actor=contributor, stix_id=green["id"], reason="sent in error")
    public = share(partner, marked(2, "clear"))
    assert poller.poll() == public
    assert poller.withdrawn() == {version(green)}
    assert object_restore(actor=contributor, stix_id=green["id"], reason="it was right") == 1
    assert poller.poll() == {version(green)}


def test_a_retention_extended_brings_the_object_back(poller, partner, reader_org, people):
    make_agreement(reader_org)
    green = marked(1, "green")
    share(partner, green)
    # Its retention period ends (the daily purge has not run yet).
    StixObject.objects.filter(stix_id=green["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    public = share(partner, marked(2, "clear"))
    assert poller.poll() == public
    until = timezone.now() + timedelta(days=10)
    assert (
        object_retention_extend(
            actor=people["partner_contributor"], stix_id=green["id"], until=until, reason="case open"
        )
        == 1
    )
    assert poller.poll() == {version(green)}


def test_withdrawn_lists_only_what_the_reader_could_receive(live_server, poller, partner, reader_org, people):
    """Another organisation's reader learns nothing of an object it never had; and ``since``
    leaves out what was withdrawn before."""
    make_agreement(reader_org)
    amber, green = marked(1, "amber"), marked(2, "green")
    share(partner, amber, green)  # the AMBER one never reached the bank
    contributor = people["partner_contributor"]
    object_revoke(actor=contributor, stix_id=amber["id"])
    object_revoke(actor=contributor, stix_id=green["id"])
    assert poller.withdrawn() == {version(green)}
    police = OrganisationFactory(name="KE-NCU", kind="law_enforcement", sector="", country="KE")
    make_agreement(police)
    officer = Poller(poller.url, UserFactory(role="partner_reader", organisation=police))
    assert officer.withdrawn() == set()  # it had an agreement only after both were revoked
    later = (timezone.now() + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert poller.withdrawn(since=later) == set()
    response = requests.get(
        f"{poller.url}withdrawn/", params={"since": "yesterday"}, headers={"Accept": MEDIA_TYPE},
        auth=HTTPBasicAuth(poller.auth.username, poller.auth.password), timeout=30,
    )  # fmt: skip
    assert response.status_code == 400 and "since" in response.json()["description"]
    assert requests.get(f"{poller.url}withdrawn/", headers={"Accept": MEDIA_TYPE}, timeout=30).status_code == 401


def test_a_full_read_lists_a_late_arrival_once_at_its_date_added_for_the_reader(poller, partner, reader_org):
    """The manifest gives a late arrival the date it reached the reader's organisation, the
    headers and paging follow that date, and a full read holds every version once."""
    agreement = make_agreement(reader_org, tlp_ceiling="clear", default_tlp="clear")
    green = share(partner, marked(1, "green"), marked(2, "green"))
    public = share(partner, marked(3, "clear"), marked(4, "clear"), marked(5, "clear"))
    agreement_amend(actor=None, agreement=agreement, change_note="green too", terms={"tlp_ceiling": "green"})
    manifest = [m for page in as_pages(poller.collection.get_manifest, per_request=2) for m in page["objects"]]
    assert [(m["id"], m["version"][:10]) for m in manifest][-2:] == [(i, "2026-05-01") for i, _ in sorted(green)]
    dates = [m["date_added"] for m in manifest]
    assert dates == sorted(dates) and len(manifest) == 5
    own = StixObject.objects.get(stix_id=sorted(green)[0][0]).added_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert dates[-1] > own  # added to the bank's view when the amendment reached it
    assert Poller(poller.url, UserFactory(role="partner_reader", organisation=reader_org)).poll() == green | public


def test_a_disseminated_report_reaches_its_recipient_without_sending_again_what_it_had(
    poller, partner, reader_org, people
):
    """A report sends only what each recipient may receive already (the dissemination check),
    so what becomes visible is the report itself; the older objects it includes are not
    delivered again, and an organisation outside its audience receives nothing."""
    make_agreement(reader_org)
    older = marked(1, "green")
    assert poller.poll() == set()
    share(partner, older)
    assert poller.poll() == {version(older)}
    outsider = OrganisationFactory(name="Outsider Security", country="DE")
    make_agreement(outsider)
    outside = Poller(poller.url, UserFactory(role="partner_reader", organisation=outsider))
    assert outside.poll() == {version(older)}
    analyst = people["analyst"]
    report = report_save(
        actor=analyst,
        title="Mule IP",
        summary="One partner's indicator of a cash-out chain.",
        tlp="green",
        audience="organisations",
        audience_organisations=[reader_org.pk],
        object_ids=[older["id"]],
    )
    report = report_disseminate(actor=analyst, report=report)
    assert [item["stix_id"] for item in report.dissemination["included"]] == [older["id"]]
    assert {stix_id for stix_id, _ in poller.poll()} == {report.stix_id}
    assert outside.poll() == set()


PAGE_QUERIES = 7 + BOUNDED_READ  # a page's queries with no late arrival (tests/taxii/test_protocol.py)


def test_a_page_costs_the_same_however_many_organisations_and_changes(
    sharer, partner, reader_org, people, django_assert_max_num_queries
):
    """Late arrivals of the reader and of ten other organisations, after a dozen agreement
    changes: a page of objects, of the manifest and of withdrawals takes the queries a page
    takes with none (tests/taxii/test_protocol.py pins them)."""
    from tests.taxii.conftest import Taxii  # the in-process client, whose queries are counted

    agreement = make_agreement(reader_org, tlp_ceiling="clear", default_tlp="clear")
    share(partner, *(marked(n, "green") for n in range(1, 21)))
    share(partner, *(marked(n, "clear") for n in range(21, 31)))
    others = [make_agreement(OrganisationFactory(name=f"Other {n}", country="FR")) for n in range(10)]
    for other in others:
        agreement_suspend(actor=None, agreement=other, reason="audit")
        agreement_activate(actor=None, agreement=other, reason="audited")
    for ceiling in ("green", "clear", "green"):
        agreement_amend(actor=None, agreement=agreement, change_note="ceiling", terms={"tlp_ceiling": ceiling})
    reader = UserFactory(role="partner_reader", organisation=reader_org)
    client = Taxii(reader, secret_for(reader, ("taxii",)))
    shared = TaxiiCollection.objects.get(alias="shared").pk
    assert client.get(f"collections/{shared}/objects/").status_code == 200  # marks the token used
    for path, params in (
        (f"collections/{shared}/objects/", {"limit": 5}),
        (f"collections/{shared}/objects/", {"added_after": "2026-01-01T00:00:00Z"}),
        (f"collections/{shared}/manifest/", {}),
        (f"collections/{shared}/withdrawn/", {"limit": 5}),
    ):
        with django_assert_max_num_queries(PAGE_QUERIES):
            response = client.get(path, params)
        assert response.status_code == 200
    listed = [m["id"] for m in client.get(f"collections/{shared}/manifest/").json()["objects"]]
    # Shared first, the GREEN ones reached the reader last: they are listed after the CLEAR ones.
    assert listed == sorted(marked(n, "clear")["id"] for n in range(21, 31)) + sorted(
        marked(n, "green")["id"] for n in range(1, 21)
    )


def test_a_partnership_ended_withdraws_each_version_once(poller, partner, reader_org):
    """Ending a partnership terminates each of its agreements, each change watched within the
    partnership's own: every version the organisation held is withdrawn once, not once per watch."""
    from accord.partners.services import organisation_terminate
    from accord.sharing.models import Withdrawal

    make_agreement(reader_org)
    received = share(partner, marked(1, "green"), marked(2, "green"))
    assert poller.poll() == received
    organisation_terminate(actor=None, organisation=reader_org, reason="the bank left the programme")
    withdrawn = list(Withdrawal.objects.filter(organisation=reader_org).values_list("stix_object_id", flat=True))
    assert len(withdrawn) == len(received) == len(set(withdrawn))
