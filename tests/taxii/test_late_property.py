"""A property of incremental TAXII reads: for any sequence of ingests and changes to who may
receive what (agreements suspended, reactivated and amended on either side, objects revoked,
restored and addressed) and to what a collection naming objects holds (objects linked to it and
unlinked, as an operation's are), a poller that keeps a mirror by reading with ``added_after``
(the last ``X-TAXII-Date-Added-Last`` it saw) and dropping what ``…/withdrawn/`` lists since its
last look holds, at the end, exactly what a full read gives: of the shared collection and of
the collection naming objects alike."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accord.core.models import Organisation, User
from accord.formats.markings import TLP2_IDS
from accord.partners.models import Agreement, AgreementVersion
from accord.partners.services import agreement_activate, agreement_amend, agreement_suspend
from accord.sharing.services import (
    object_address,
    object_restore,
    object_revoke,
    submission_create,
    submission_process,
)
from accord.taxii.choices import CollectionKind
from accord.taxii.models import Collection
from accord.taxii.services import collection_create
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import bundle, indicator
from tests.taxii.conftest import Taxii, secret_for

pytestmark = pytest.mark.django_db(transaction=True)

Version = tuple[str, str]

CHANGES = st.one_of(
    st.tuples(st.just("share"), st.sampled_from(["kestrel", "osprey"]), st.sampled_from(["clear", "green", "amber"])),
    st.tuples(st.just("suspend")),
    st.tuples(st.just("activate")),
    st.tuples(st.just("ceiling"), st.sampled_from(["clear", "green", "amber"])),
    st.tuples(st.just("onward"), st.booleans()),
    st.tuples(st.sampled_from(["revoke", "restore", "address"]), st.integers(min_value=0, max_value=20)),
    st.tuples(st.sampled_from(["link", "unlink"]), st.integers(min_value=0, max_value=20)),
)
# Each change, and whether the poller reads after it.
STEPS = st.lists(st.tuples(CHANGES, st.booleans()), max_size=12)


class Mirror:
    """What a poller holds: what its incremental reads brought, less what was withdrawn."""

    def __init__(self, client: Taxii, collection: str) -> None:
        self.client, self.url = client, f"collections/{collection}/"
        self.cursor = self.since = ""
        self.held: set[Version] = set()

    def read(self, added_after: str = "") -> tuple[set[Version], str]:
        found: list[Version] = []
        last = ""
        params: dict[str, Any] = {"limit": 2, "match[version]": "all"} | (
            {"added_after": added_after} if added_after else {}
        )
        while True:
            response = self.client.get(self.url + "objects/", params)
            assert response.status_code == 200, response.content
            body = response.json()
            found += [(o["id"], o["modified"]) for o in body.get("objects", [])]
            last = max(last, response.get("X-TAXII-Date-Added-Last", ""))
            if not body["more"]:
                break
            params = params | {"next": body["next"]}
        assert len(found) == len(set(found)), "a version came twice in one read"
        return set(found), last

    def poll(self) -> None:
        params = {"since": self.since} if self.since else {}
        withdrawn = self.client.get(self.url + "withdrawn/", params).json().get("withdrawn", [])
        self.held -= {(w["id"], f"{w['version'][:23]}Z") for w in withdrawn}
        self.since = max([self.since, *(w["date_withdrawn"] for w in withdrawn)])
        found, last = self.read(self.cursor)
        self.held |= found
        self.cursor = last or self.cursor


class World:
    """A reader organisation (a bank: TLP:AMBER reaches it only when addressed to it) and two
    originators: Kestrel, whose agreement shares with everyone, and Osprey, whose agreement
    shares onward with banks only when amended to."""

    def __init__(self, kestrel: Organisation, contributor: User, number: int) -> None:
        self.reader = OrganisationFactory(name=f"Bank {number}", country="AE", sector="banking_finance")
        self.agreement = make_agreement(self.reader, tlp_ceiling="green", default_tlp="green")
        self.osprey = OrganisationFactory(name=f"Osprey {number}", country="FR")
        self.osprey_agreement = make_agreement(self.osprey, onward_kinds=["law_enforcement"])
        self.osprey_contributor = UserFactory(role="partner_contributor", organisation=self.osprey)
        self.kestrel, self.contributor = kestrel, contributor
        self.shared: list[tuple[str, User]] = []
        self.serial = number * 100
        self.linked: list[str] = []
        self.watched = self._watch()

    def _watch(self) -> Collection:
        """The collection naming the objects linked so far (as an operation's names its links)."""
        return collection_create(
            kind=CollectionKind.OPERATION,
            alias=f"watch-{self.reader.pk}",
            title="Linked objects",
            spec={"stix_id": sorted(self.linked)},
        )

    def share(self, who: str, tlp: str) -> None:
        self.serial += 1
        obj = indicator(self.serial, f"[domain-name:value = 'x{self.serial}.example.com']",
                        object_marking_refs=[TLP2_IDS[tlp]])  # fmt: skip
        organisation = self.kestrel if who == "kestrel" else self.osprey
        submission, _ = submission_create(
            actor=None, organisation=organisation, stream=io.BytesIO(bundle(obj)), format="stix"
        )
        assert submission_process(submission_id=submission.pk).status == "done"
        self.shared.append((obj["id"], self.contributor if who == "kestrel" else self.osprey_contributor))

    def apply(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        agreement = Agreement.objects.get(pk=self.agreement.pk)
        if kind == "share":
            self.share(step[1], step[2])
        elif kind == "suspend" and agreement.status == "active":
            agreement_suspend(actor=None, agreement=agreement, reason="review")
        elif kind == "activate" and agreement.status == "suspended":
            agreement_activate(actor=None, agreement=agreement, reason="reviewed")
        elif kind == "ceiling":
            agreement_amend(actor=None, agreement=agreement, change_note="ceiling", terms={"tlp_ceiling": step[1]})
            _signed(agreement)
        elif kind == "onward":
            kinds = ["law_enforcement", "private"] if step[1] else ["law_enforcement"]
            agreement_amend(
                actor=None, agreement=self.osprey_agreement, change_note="onward", terms={"onward_kinds": kinds}
            )
            _signed(self.osprey_agreement)
        elif kind in ("revoke", "restore", "address") and self.shared:
            stix_id, owner = self.shared[step[1] % len(self.shared)]
            if kind == "revoke":
                object_revoke(actor=owner, stix_id=stix_id, reason="withdrawn")
            elif kind == "restore":
                object_restore(actor=owner, stix_id=stix_id, reason="shared again")
            else:
                object_address(actor=owner, stix_id=stix_id, organisations=[self.reader])
        elif kind in ("link", "unlink") and self.shared:
            stix_id = self.shared[step[1] % len(self.shared)][0]
            if kind == "link" and stix_id not in self.linked:
                self.linked.append(stix_id)
            elif kind == "unlink" and stix_id in self.linked:
                self.linked.remove(stix_id)
            self._watch()


# Sequences the issue names, so that every run holds them whatever else is drawn.
REACTIVATED = [(("share", "kestrel", "green"), True), (("suspend",), True), (("share", "kestrel", "green"), False),
               (("share", "kestrel", "clear"), True), (("activate",), True)]  # fmt: skip
AMENDED_ONWARD = [
    (("share", "osprey", "green"), False),
    (("share", "kestrel", "green"), True),
    (("onward", True), True),
]
ADDRESSED = [(("share", "kestrel", "amber"), False), (("share", "kestrel", "green"), True), (("address", 0), True)]
RESTORED = [(("share", "kestrel", "green"), True), (("revoke", 0), True), (("share", "kestrel", "green"), True),
            (("restore", 0), False), (("revoke", 1), True)]  # fmt: skip
LINKED_LATE = [(("share", "kestrel", "green"), False), (("share", "kestrel", "green"), False),
               (("link", 1), True), (("link", 0), True), (("unlink", 1), True), (("suspend",), False),
               (("unlink", 0), False), (("activate",), False), (("link", 0), True)]  # fmt: skip
AMENDED_CEILING = [(("ceiling", "clear"), True), (("share", "kestrel", "green"), False),
                   (("share", "kestrel", "clear"), True), (("ceiling", "green"), False)]  # fmt: skip


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(steps=REACTIVATED)
@example(steps=AMENDED_ONWARD)
@example(steps=ADDRESSED)
@example(steps=RESTORED)
@example(steps=AMENDED_CEILING)
@example(steps=LINKED_LATE)
@given(steps=STEPS)
def test_incremental_reads_add_up_to_a_full_read(sharer, partner, people, steps):
    world = World(partner, people["partner_contributor"], Organisation.objects.count())
    reader = UserFactory(role="partner_reader", organisation=world.reader)
    client = Taxii(reader, secret_for(reader, ("taxii",)))
    mirrors = [Mirror(client, str(Collection.objects.get(alias="shared").pk)), Mirror(client, str(world.watched.pk))]
    for mirror in mirrors:
        mirror.poll()
    for change, then_poll in steps:
        world.apply(change)
        if then_poll:
            for mirror in mirrors:
                mirror.poll()
    for mirror in mirrors:
        mirror.poll()
        assert mirror.held == mirror.read()[0]


def _signed(agreement: Agreement) -> None:
    """The amended version signed, as an amendment is before it is reactivated."""
    current = Agreement.objects.get(pk=agreement.pk).current_version_id
    AgreementVersion.objects.filter(pk=current).update(document="agreements/signed.pdf", document_name="signed.pdf")
