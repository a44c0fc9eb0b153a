"""The whole STIX 2.1 vocabulary over TAXII: every SDO, SRO and SCO type, the meta objects and
custom objects (MITRE ATT&CK's ``x-mitre-*``, a custom cyber-observable with its extension
definition) are taken and served back with the content they were sent with."""

from __future__ import annotations

from typing import Any

import pytest

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import ObjectObservable, Observable
from tests.stix_samples import vocabulary
from tests.taxii.test_protocol import share, shared_id

pytestmark = pytest.mark.django_db

# What the hub adds to an object it serves: its handling properties, the TLP 2.0 marking, and
# the extension definitions of the Accord properties it carries.
ADDED = {"object_marking_refs", "extensions", "x_accord_data_category", "x_accord_data_subject"}


def _all(client: Any, collection: str) -> dict[str, dict[str, Any]]:
    served: dict[str, dict[str, Any]] = {}
    params: dict[str, Any] = {"limit": 1000}
    while True:
        page = client.get(f"collections/{collection}/objects/", params).json()
        served |= {o["id"]: o for o in page.get("objects", [])}
        if not page.get("more"):
            return served
        params["next"] = page["next"]


def test_every_stix_type_and_custom_objects_are_served_back_as_sent(taxii_as, sharer, inbox):
    sent = [o | {"object_marking_refs": [TLP2_IDS["green"]]} for o in vocabulary()]
    status = share(taxii_as("partner_contributor"), inbox, *sent)
    assert (status["status"], status["failure_count"]) == ("complete", 0), status
    served = _all(taxii_as("analyst"), shared_id())
    assert set(served) >= {o["id"] for o in sent}
    for obj in sent:
        back = served[obj["id"]]
        assert {k: back[k] for k in obj if k != "extensions"} == {k: v for k, v in obj.items() if k != "extensions"}
        assert back.get("extensions", {}) | obj.get("extensions", {}) == back.get("extensions", {})
        assert set(back) - set(obj) <= ADDED, obj["type"]


def test_observables_come_from_every_kind_of_cyber_observable_and_pattern(taxii_as, sharer, inbox):
    share(taxii_as("partner_contributor"), inbox, *vocabulary())
    stored = {(o.type, o.value): o.extra.get("flags", []) for o in Observable.objects.all()}
    assert stored == {
        # CIDR blocks are kept as networks, flagged; a reserved suffix is kept, flagged
        ("ipv4", "112.64.0.0/15"): ["cidr"],
        ("ipv4", "198.51.100.0/24"): ["cidr"],
        ("ipv6", "2001:db8::/96"): ["cidr"],
        ("domain", "intranet.example"): ["reserved_suffix"],
        ("email", "boss@example.com"): [],
        ("email", "clerk@example.org"): [],
        ("email", "john@example.com"): [],
        ("sha256", "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"): [],
        ("sha256", "6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"): [],
        ("sha256", "ceafbfd424be2ca4a5f0402cae090dda2fb0526cf521b60b60077c0f622b285a"): [],
        ("sha1", "4dfe4b1f0a1bfe2b8c35d94b2cd9d7aeab5f5f4e"): [],  # the file's and the certificate's
        ("registry_key", "HKEY_LOCAL_MACHINE\\software\\run"): [],
        ("registry_key", "HKEY_LOCAL_MACHINE\\system\\bar\\foo"): [],
        ("mutex", "Global\\ivy"): [],
        ("mutex", "__CLEANSWEEP__"): [],
        ("asn", "64496"): [],
        ("asn", "15139"): [],
        ("user_account", "jdoe"): [],
        ("user_account", "1001"): [],
        ("url", "https://example.com/research/index.html"): [],
    }
    sha1 = Observable.objects.get(type="sha1")
    linked = set(ObjectObservable.objects.filter(observable=sha1).values_list("stix_object__type", flat=True))
    assert linked == {"file", "x509-certificate"}
