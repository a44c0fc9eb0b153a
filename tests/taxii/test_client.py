"""The OASIS ``taxii2-client`` against a live Accord over HTTP, through every endpoint:
discovery → API root → collections → add objects → status → objects (paged) → manifest →
versions → delete."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from taxii2client.v21 import Collection, Server, as_pages

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import StixObject
from tests.stix_samples import indicator
from tests.taxii.conftest import secret_for

pytestmark = pytest.mark.django_db(transaction=True)


class Bearer(requests.auth.AuthBase):
    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.secret}"
        return request


def test_taxii2_client_through_every_endpoint(live_server, sharer, inbox, people):
    contributor = people["partner_contributor"]
    server = Server(f"{live_server.url}/taxii2/", user=contributor.username, password=secret_for(contributor))
    assert server.title == "Accord TAXII 2.1"
    root = server.default
    assert root.url == f"{live_server.url}/taxii2/api/"
    assert root.versions == ["application/taxii+json;version=2.1"] and root.max_content_length > 0
    by_alias = {c.alias: c for c in root.collections}
    mine = by_alias[inbox.alias]
    assert (mine.can_read, mine.can_write) == (True, True)
    assert (by_alias["shared"].can_read, by_alias["shared"].can_write) == (True, False)

    objects = [indicator(n, f"[domain-name:value = 'phish{n}.example.com']") for n in range(1, 6)]
    newer = indicator(1, "[domain-name:value = 'phish1.example.com']", modified="2026-06-01T12:00:00.000Z")
    status = mine.add_objects({"objects": objects})
    assert (status.status, status.total_count, status.success_count, status.failure_count) == ("complete", 5, 5, 0)
    assert mine.add_objects({"objects": [newer]}).success_count == 1
    again = root.get_status(status.id)
    assert (again.id, again.status, again.success_count) == (status.id, "complete", 5)

    analyst = people["analyst"]
    shared = Collection(
        f"{live_server.url}/taxii2/api/collections/{by_alias['shared'].id}/", auth=Bearer(secret_for(analyst))
    )
    pages = list(as_pages(shared.get_objects, per_request=2))
    assert len(pages) == 3
    received = [o for page in pages for o in page.get("objects", [])]
    assert sorted(o["id"] for o in received) == sorted(o["id"] for o in objects)
    assert all(TLP2_IDS["green"] in o["object_marking_refs"] for o in received)
    assert next(o for o in received if o["id"] == newer["id"])["modified"] == newer["modified"]

    manifest = [m for page in as_pages(shared.get_manifest, per_request=4, version="all") for m in page["objects"]]
    assert len(manifest) == 6 and {m["media_type"] for m in manifest} == {"application/stix+json;version=2.1"}
    versions = shared.object_versions(newer["id"])
    assert versions["versions"] == ["2026-05-01T12:00:00.000000Z", "2026-06-01T12:00:00.000000Z"]
    first = shared.get_object(newer["id"], version="first")
    assert [o["modified"] for o in first["objects"]] == ["2026-05-01T12:00:00.000Z"]

    mine.delete_object(newer["id"])
    assert set(StixObject.objects.filter(stix_id=newer["id"]).values_list("revoked", flat=True)) == {True}
    with pytest.raises(requests.HTTPError) as gone:
        shared.get_object(newer["id"])
    assert gone.value.response.status_code == 404
    assert gone.value.response.json()["http_status"] == "404"
