"""Bodies served as stored: what a TAXII page sends of each object is what ``as_sent`` makes of
its stored body for that reader, whether it was sent from the stored text (most bodies, when the
policy withholds nothing) or read and rewritten (redactions, markings the store could not append
to); on SQLite, byte for byte."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import stix2
from django.db import connection
from stix2.exceptions import STIXError

from accord.formats.markings import TLP2_IDS
from accord.formats.stix import as_sent
from accord.policy import decide, principal_context
from accord.sharing.choices import SentForm
from accord.sharing.models import StixObject
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync
from tests.factories import UserFactory, make_agreement
from tests.stix_samples import indicator, person, vocabulary
from tests.taxii.test_protocol import share, shared_id

pytestmark = pytest.mark.django_db

TLP1_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"  # TLP 1.0, mapped on input


@pytest.fixture
def redacting(partner: Any, settings: Any, tmp_path: Any) -> Any:
    """Kestrel shares under an agreement that withholds personal data from other organisations."""
    settings.MEDIA_ROOT = tmp_path
    agreement = make_agreement(partner, default_tlp="green", retention_days=30, onward_redactions=["personal_data"])
    collections_sync()
    return agreement


# Personal data that stays valid STIX when what the agreement withholds is taken out of it.
SAMPLE = {
    "type": "malware",
    "spec_version": "2.1",
    "id": "malware--00000000-0000-4000-8000-0000000000cc",
    "created": "2026-05-01T12:00:00.000Z",
    "modified": "2026-05-01T12:00:00.000Z",
    "is_family": False,
    "description": "Found on the laptop of J. Doe",
    "x_accord_data_category": "personal_data",
}


def _shared() -> list[dict[str, Any]]:
    plain = [body for body in vocabulary() if body["type"] not in ("marking-definition", "language-content")]
    return [
        *plain,
        indicator(1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=[TLP2_IDS["green"]]),
        indicator(2, "[ipv4-addr:value = '198.51.100.2']", object_marking_refs=[TLP1_GREEN]),
        person(description="Seen at the branch on Monday", x_accord_data_subject="victim"),
        SAMPLE,
    ]


def _parses(body: dict[str, Any]) -> bool:
    try:
        stix2.parse(body, allow_custom=True)
    except STIXError:  # the vocabulary's artifact has both payload_bin and url, as its example does
        return False
    return True


def test_every_object_is_sent_as_as_sent_makes_it_for_its_reader(redacting, partner, reader_org, people, taxii_as):
    share(taxii_as("partner_contributor"), Collection.objects.get(kind="inbox", organisation=partner), *_shared())
    stored = {obj.stix_id: obj for obj in StixObject.objects.select_related("agreement")}
    forms = {obj.sent_form for obj in stored.values()}
    assert {SentForm.MARKED_WITH_PROPERTIES, SentForm.DECLARED, SentForm.REWRITTEN} <= forms
    make_agreement(reader_org)  # Atlas receives under an agreement of its own
    outsider = UserFactory(role="partner_reader", organisation=reader_org)
    whole = rewritten = 0
    for reader in (people["analyst"], outsider):
        client = taxii_as(reader, ("taxii",))
        context = principal_context(reader)
        response = client.get(f"collections/{shared_id()}/objects/")
        assert response.status_code == 200, response.content
        served = response.json()["objects"]
        assert served
        for sent in served:
            if sent["type"] == "marking-definition":  # carried for the objects that refer to it
                continue
            obj = stored[sent["id"]]
            decision = decide(context, obj, "export", "investigation")
            expected, _ = as_sent(obj.body, obj.tlp, decision.redactions, decision.granular)
            assert expected is not None and decision.allowed
            assert sent == expected and list(sent) == list(expected), (obj.stix_id, obj.sent_form)
            if _parses(obj.body):  # what the library takes as stored, it takes as sent
                stix2.parse(sent, allow_custom=True)
            if connection.vendor == "sqlite":  # the bodies were written by orjson, and are sent so
                assert orjson.dumps(expected) in response.content
            fast = obj.sent_form != SentForm.REWRITTEN
            whole += fast and not decision.redactions
            rewritten += fast and bool(decision.redactions)  # a form recorded, and still rewritten
    assert whole and rewritten
    sample = stored[SAMPLE["id"]]
    assert sample.data_category == "personal_data" and sample.sent_form != SentForm.REWRITTEN
    for reader, withheld in ((people["analyst"], False), (outsider, True)):
        page = taxii_as(reader, ("taxii",)).get(f"collections/{shared_id()}/objects/{sample.stix_id}/").json()
        assert ("description" not in page["objects"][0]) == withheld  # from another organisation


@pytest.mark.parametrize("endpoint", ["objects", "manifest"])
def test_pages_from_a_position_cross_from_one_moment_to_the_next(redacting, partner, taxii_as, endpoint):
    """One submission stamps its objects with one moment: a page that starts inside a moment
    takes the rest of it, then what follows from later moments, up to the page's size."""
    contributor, inbox = taxii_as("partner_contributor"), Collection.objects.get(kind="inbox", organisation=partner)
    first = [indicator(n, f"[ipv4-addr:value = '198.51.100.{n}']") for n in range(1, 6)]
    later = [indicator(n, f"[ipv4-addr:value = '198.51.100.{n}']") for n in range(6, 10)]
    share(contributor, inbox, *first)
    share(contributor, inbox, *later)
    moments = {obj.stix_id: obj.added_at for obj in StixObject.objects.all()}
    assert len(set(moments.values())) == 2
    client = taxii_as("analyst", ("taxii",))
    seen: list[list[str]] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        body = client.get(f"collections/{shared_id()}/{endpoint}/", params).json()
        seen.append([o["id"] for o in body["objects"]])
        if not body["more"]:
            break
        params = {"limit": 3, "next": body["next"]}
    assert [len(page) for page in seen] == [3, 3, 3]  # the second page spans both moments
    walked = [stix_id for page in seen for stix_id in page]
    assert walked == sorted(walked, key=lambda stix_id: (moments[stix_id], stix_id))
    assert set(walked) == {o["id"] for o in first + later}
