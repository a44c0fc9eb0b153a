"""TAXII 2.1 endpoints through HTTP (Django's test client): shapes, filters, paging, and every
kind of bad input getting the status the specification requires with a TAXII error body."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any

import orjson
import pytest
from django.core.signing import dumps
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.formats.markings import TLP2_IDS
from accord.partners.services import agreement_activate, agreement_amend, agreement_suspend
from accord.sharing.models import StixObject, Submission
from accord.sharing.progress import heartbeat
from accord.taxii.api import MEDIA_TYPE
from accord.taxii.filters import stamp
from accord.taxii.models import Collection, Status
from accord.taxii.services import collections_sync
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import indicator
from tests.taxii.conftest import Taxii, secret_for

pytestmark = pytest.mark.django_db


def envelope(*objects: dict[str, Any]) -> bytes:
    return orjson.dumps({"objects": list(objects)})


def indicators(count: int, start: int = 1, **extra: Any) -> list[dict[str, Any]]:
    return [indicator(n, f"[ipv4-addr:value = '198.51.100.{n}']", **extra) for n in range(start, start + count)]


def share(client: Any, inbox: Collection, *objects: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"collections/{inbox.pk}/objects/", envelope(*objects))
    assert response.status_code == 202, response.content
    assert response["Content-Type"] == MEDIA_TYPE
    return response.json()


def shared_id() -> str:
    return str(Collection.objects.get(alias="shared").pk)


def assert_taxii_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == MEDIA_TYPE
    body = response.json()
    assert body["http_status"] == str(status) and body["title"] and body["description"]
    return body


def test_discovery_and_api_root(taxii_as, sharer):
    client = taxii_as("analyst")
    response = client.client.get("/taxii2/", headers=client.headers)
    assert response.status_code == 200 and response["Content-Type"] == MEDIA_TYPE
    discovery = response.json()
    assert discovery["api_roots"] == ["http://testserver/taxii2/api/"] and discovery["default"]
    root = client.get("").json()
    assert root["versions"] == [MEDIA_TYPE] and root["max_content_length"] > 0 and root["title"]
    assert_taxii_error(client.client.get("/taxii2/nope/", headers=client.headers), 404)


def test_collections_are_those_the_person_may_use(taxii_as, sharer, inbox, other_partner):
    make_agreement(other_partner)

    collections_sync()
    listed = {c["alias"]: c for c in taxii_as("partner_contributor").get("collections/").json()["collections"]}
    assert set(listed) == {
        "shared",
        *(f"region-{r}" for r in ("africa", "americas", "asia-south-pacific", "europe", "mena")),
        inbox.alias,
    }
    assert (listed[inbox.alias]["can_read"], listed[inbox.alias]["can_write"]) == (True, True)
    assert (listed["shared"]["can_read"], listed["shared"]["can_write"]) == (True, False)
    assert listed["shared"]["media_types"] == ["application/stix+json;version=2.1"]
    reader = {c["alias"]: c for c in taxii_as("partner_reader").get("collections/").json()["collections"]}
    assert (reader[inbox.alias]["can_read"], reader[inbox.alias]["can_write"]) == (True, False)
    host = {c["alias"] for c in taxii_as("analyst").get("collections/").json()["collections"]}
    assert not any(alias.startswith("inbox-") for alias in host)  # another organisation's inbox is not yours
    detail = taxii_as("partner_contributor").get(f"collections/{inbox.pk}/").json()
    assert detail["id"] == str(inbox.pk) and detail["can_write"] is True
    assert_taxii_error(taxii_as("analyst").get(f"collections/{inbox.pk}/"), 404)


def test_post_becomes_a_submission_and_the_status_reports_it(taxii_as, sharer, inbox, people):
    client = taxii_as("partner_contributor")
    status = share(client, inbox, *indicators(3))
    assert (status["status"], status["total_count"], status["success_count"]) == ("complete", 3, 3)
    assert status["failure_count"] == status["pending_count"] == 0
    assert {s["id"] for s in status["successes"]} == {f"indicator--00000000-0000-4000-8000-{n:012}" for n in (1, 2, 3)}
    submission = Submission.objects.get()
    assert (submission.organisation, submission.agreement, submission.status) == (inbox.organisation, sharer, "done")
    assert client.get(f"status/{status['id']}/").json() == status
    other = UserFactory(role="partner_reader")
    assert_taxii_error(taxii_as(other).get(f"status/{status['id']}/"), 404)
    assert taxii_as("analyst").get(f"status/{status['id']}/").status_code == 200  # host staff follow every POST


def test_every_status_entry_has_the_version_the_manifest_lists(taxii_as, sharer, inbox):
    """§4.3.1: ``version`` is required: ``modified`` (else ``created``), else for a cyber-observable
    the moment the server received it, which is the version it stores and lists."""
    address = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
               "value": "198.51.100.3"}  # fmt: skip
    client = taxii_as("partner_contributor")
    status = share(client, inbox, indicators(1)[0], address)
    assert status["success_count"] == 2, status.get("failures")
    versions = {s["id"]: s["version"] for s in status["successes"]}
    assert versions[indicators(1)[0]["id"]] == indicators(1)[0]["modified"]
    assert versions[address["id"]].endswith("Z")
    listed = {m["id"]: m["version"] for m in client.get(f"collections/{inbox.pk}/manifest/").json()["objects"]}
    assert listed[address["id"]] == versions[address["id"]]
    assert listed[indicators(1)[0]["id"]] == "2026-05-01T12:00:00.000000Z"  # the same instant, to the microsecond
    assert client.get(f"status/{status['id']}/").json()["successes"] == status["successes"]


def test_a_rejected_object_is_the_one_failure_and_the_rest_succeed(taxii_as, sharer, inbox):
    bad = indicator(9, "[ipv4-addr:value = '198.51.100.9'")  # unbalanced pattern
    status = share(taxii_as("partner_contributor"), inbox, *indicators(2), bad)
    assert (status["status"], status["success_count"], status["failure_count"]) == ("complete", 2, 1)
    (failure,) = status["failures"]
    assert failure["id"] == bad["id"] and failure["message"].startswith("pattern: not a valid STIX pattern")
    assert [s["id"] for s in status["successes"]] == [i["id"] for i in indicators(2)]
    assert sorted(StixObject.objects.values_list("stix_id", flat=True)) == [i["id"] for i in indicators(2)]


def test_objects_carry_markings_and_paging_is_a_signed_keyset(taxii_as, sharer, inbox, django_assert_max_num_queries):
    share(
        taxii_as("partner_contributor"),
        inbox,
        *indicators(4),
        indicator(5, "[ipv4-addr:value = '198.51.100.5']", object_marking_refs=[TLP2_IDS["amber"]]),
    )
    client = taxii_as("analyst")
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    pages = 0
    while True:
        with django_assert_max_num_queries(12):
            response = client.get(f"collections/{shared_id()}/objects/", params)
        assert response.status_code == 200
        body = response.json()
        pages += 1
        seen += [o["id"] for o in body["objects"]]
        assert response["X-TAXII-Date-Added-First"] <= response["X-TAXII-Date-Added-Last"]
        for obj in body["objects"]:
            assert TLP2_IDS["green"] in obj["object_marking_refs"] or TLP2_IDS["amber"] in obj["object_marking_refs"]
        if not body["more"]:
            assert "next" not in body
            break
        params = {"limit": 2, "next": body["next"]}
    assert pages == 3 and len(seen) == len(set(seen)) == 5


def test_filters(taxii_as, sharer, inbox):
    contributor = taxii_as("partner_contributor")
    share(contributor, inbox, *indicators(3))
    newer = indicator(1, "[ipv4-addr:value = '198.51.100.1']", modified="2026-06-01T12:00:00.000Z")
    share(contributor, inbox, newer)
    later = StixObject.objects.get(stix_id=newer["id"], modified__month=6).added_at
    client = taxii_as("analyst")
    url = f"collections/{shared_id()}/objects/"

    def ids(**params: Any) -> list[tuple[str, str]]:
        body = client.get(url, params).json()
        return [(o["id"][-1], o["modified"][5:7]) for o in body.get("objects", [])]

    assert sorted(ids()) == [("1", "06"), ("2", "05"), ("3", "05")]  # last version by default
    assert sorted(ids(**{"match[version]": "first"})) == [("1", "05"), ("2", "05"), ("3", "05")]
    assert sorted(ids(**{"match[version]": "all"})) == [("1", "05"), ("1", "06"), ("2", "05"), ("3", "05")]
    assert ids(**{"match[version]": "2026-05-01T12:00:00.000Z", "match[id]": newer["id"]}) == [("1", "05")]
    assert sorted(ids(**{"match[id]": f"{newer['id']},{indicators(1, 2)[0]['id']}"})) == [("1", "06"), ("2", "05")]
    assert ids(**{"match[type]": "malware"}) == []
    assert len(ids(**{"match[type]": "malware,indicator", "match[spec_version]": "2.1"})) == 3
    from accord.taxii.filters import stamp

    assert ids(added_after=stamp(later)) == []
    versions = client.get(f"collections/{shared_id()}/objects/{newer['id']}/versions/").json()
    assert versions["versions"] == ["2026-05-01T12:00:00.000000Z", "2026-06-01T12:00:00.000000Z"]
    manifest = client.get(f"collections/{shared_id()}/manifest/", {"match[version]": "all"}).json()
    assert len(manifest["objects"]) == 4
    assert manifest["objects"][0]["media_type"] == "application/stix+json;version=2.1"
    one = client.get(f"collections/{shared_id()}/objects/{newer['id']}/").json()
    assert [o["modified"] for o in one["objects"]] == ["2026-06-01T12:00:00.000Z"]
    assert one["more"] is False
    first = client.get(f"collections/{shared_id()}/objects/{newer['id']}/", {"match[version]": "first"}).json()
    assert [o["modified"] for o in first["objects"]] == ["2026-05-01T12:00:00.000Z"] and first["more"] is False
    # The newest version withdrawn: the last one the reader may still see is the older one.
    withdrawn = contributor.delete(
        f"collections/{inbox.pk}/objects/{newer['id']}/?match[version]=2026-06-01T12:00:00.000Z"
    )
    assert withdrawn.status_code == 200, withdrawn.content
    one = client.get(f"collections/{shared_id()}/objects/{newer['id']}/").json()
    assert [o["modified"] for o in one["objects"]] == ["2026-05-01T12:00:00.000Z"]
    assert sorted(ids()) == [("1", "05"), ("2", "05"), ("3", "05")]  # the same through the paged read
    assert_taxii_error(
        client.get(f"collections/{shared_id()}/objects/indicator--00000000-0000-4000-8000-999999999999/"), 404
    )
    assert_taxii_error(client.get(url, {"match[colour]": "red"}), 400)
    assert_taxii_error(client.get(url, {"added_after": "yesterday"}), 400)
    assert_taxii_error(client.get(url, {"match[version]": "newest"}), 400)


@pytest.mark.parametrize("limit", ["0", "-1", "ten", "1.5", "\u00b2", "000"])
def test_a_limit_that_is_not_a_positive_integer_is_a_400(taxii_as, sharer, limit):
    assert_taxii_error(taxii_as("analyst").get(f"collections/{shared_id()}/objects/", {"limit": limit}), 400)


def test_a_limit_of_any_length_is_capped_at_the_page_size(taxii_as, sharer, inbox, settings):
    share(taxii_as("partner_contributor"), inbox, *indicators(3))
    settings.ACCORD_TAXII_PAGE_SIZE = 2
    url = f"collections/{shared_id()}/objects/"
    for limit in ("9" * 5000, "0" * 5000 + "2", "3"):
        body = taxii_as("analyst").get(url, {"limit": limit}).json()
        assert len(body["objects"]) == 2 and body["more"] is True, limit


def test_a_next_token_altered_or_replayed_with_other_filters_is_a_400(taxii_as, sharer, inbox):
    share(taxii_as("partner_contributor"), inbox, *indicators(3))
    client = taxii_as("analyst")
    url = f"collections/{shared_id()}/objects/"
    token = client.get(url, {"limit": 1}).json()["next"]
    assert client.get(url, {"limit": 1, "next": token}).status_code == 200
    assert "next" in assert_taxii_error(client.get(url, {"next": token[:-2] + "xx"}), 400)["description"]
    assert_taxii_error(client.get(url, {"next": "garbage"}), 400)
    assert_taxii_error(client.get(url, {"next": token, "match[type]": "indicator"}), 400)
    assert_taxii_error(client.get(f"collections/{shared_id()}/manifest/", {"next": token}), 400)
    assert_taxii_error(taxii_as("partner_reader").get(url, {"next": token}), 400)  # another asker
    forged = dumps(["2000-01-01T00:00:00.000000Z", 0, "x"], salt="elsewhere")
    assert_taxii_error(client.get(url, {"next": forged}), 400)


def _decodings(token: str) -> list[bytes]:
    """Every reading of a token a curious client could try: as is, and base64 (either alphabet)
    of it whole and of each ``:``-separated part."""
    found = [token.encode()]
    for part in [token, *token.split(":")]:
        padded = part + "=" * (-len(part) % 4)
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                found.append(decode(padded))
            except (binascii.Error, ValueError):
                continue
    return found


def test_a_next_token_tells_nothing_of_the_position_it_holds(taxii_as, sharer, inbox):
    """The token is encrypted: neither the row id nor the time added of the last object served
    can be read from it, in any encoding; a token issued twice for one page differs."""
    share(taxii_as("partner_contributor"), inbox, *indicators(3))
    client = taxii_as("analyst")
    url = f"collections/{shared_id()}/objects/"
    first = client.get(url, {"limit": 1})
    token = first.json()["next"]
    last = StixObject.objects.get(stix_id=first.json()["objects"][0]["id"])
    added = timezone.localtime(last.added_at)
    secrets = [stamp(last.added_at), last.added_at.isoformat()[:19], added.strftime("%Y-%m-%d"), f",{last.pk},"]
    for text in _decodings(token):
        assert not any(secret.encode() in text for secret in secrets), text
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(text)
    assert client.get(url, {"limit": 1}).json()["next"] != token
    following = client.get(url, {"limit": 1, "next": token}).json()["objects"]
    assert following and following[0]["id"] != last.stix_id


def test_authentication(taxii_as, sharer, people, client):
    url = "/taxii2/api/collections/"
    assert_taxii_error(client.get(url, headers={"Accept": MEDIA_TYPE}), 401)
    assert "Basic" in client.get(url, headers={"Accept": MEDIA_TYPE})["WWW-Authenticate"]
    from tests.taxii.conftest import secret_for

    secret = secret_for(people["analyst"])
    bearer = {"Accept": MEDIA_TYPE, "Authorization": f"Bearer {secret}"}
    assert client.get(url, headers=bearer).status_code == 200
    assert_taxii_error(client.get(url, headers=bearer | {"Authorization": "Bearer acc_nope"}), 401)
    wrong_user = taxii_as("analyst")
    wrong_user.headers["Authorization"] = (
        "Basic " + __import__("base64").b64encode(f"auditor:{secret}".encode()).decode()
    )
    assert_taxii_error(wrong_user.get("collections/"), 401)
    assert_taxii_error(taxii_as("analyst", scopes=("read",)).get("collections/"), 403)


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "application/json",
        "application/taxii+json;version=2.0",
        "text/html",
        f"{MEDIA_TYPE};q=0",
        f"{MEDIA_TYPE};q=x",
    ],
)
def test_wrong_or_missing_accept_is_a_406(taxii_as, sharer, accept):
    client = taxii_as("analyst")
    client.headers["Accept"] = accept
    assert_taxii_error(client.get("collections/"), 406)


@pytest.mark.parametrize(
    "accept",
    [
        'application/taxii+json; version="2.1"',
        "application/taxii+json",
        "text/html;q=0.9, application/taxii+json;version=2.1;q=0.5",
        "application/TAXII+json; Version=2.1",
    ],
)
def test_accept_as_http_allows_it(taxii_as, sharer, accept):
    client = taxii_as("analyst")
    client.headers["Accept"] = accept
    assert client.get("collections/").status_code == 200


def test_a_malformed_token_is_a_401_on_every_database(taxii_as, sharer, people, client):
    """A NUL or other byte no token holds never reaches the database (PostgreSQL refuses NUL)."""
    url = "/taxii2/api/collections/"
    for secret in (
        "acc_\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00_abcdefghijklmnop",
        "acc_ZZZZZZZZZZZZ_abcdefghijklmnop",
    ):
        bearer = {"Accept": MEDIA_TYPE, "Authorization": f"Bearer {secret}"}
        assert_taxii_error(client.get(url, headers=bearer), 401)
        basic = __import__("base64").b64encode(f"analyst:{secret}".encode()).decode()
        assert_taxii_error(client.get(url, headers={"Accept": MEDIA_TYPE, "Authorization": f"Basic {basic}"}), 401)


def test_an_alias_never_hides_a_collection_by_id(taxii_as, sharer):
    from accord.taxii.services import collection_create

    shared = shared_id()
    collection_create(kind="region", alias=shared, title="Look-alike", spec={"region": ["africa"]})
    assert taxii_as("analyst").get(f"collections/{shared}/").json()["title"] == "Everything you may see"


def test_bad_writes_store_nothing(taxii_as, sharer, inbox, settings):
    client = taxii_as("partner_contributor")
    url = f"collections/{inbox.pk}/objects/"
    good = envelope(*indicators(2))
    assert_taxii_error(client.post(url, good, content_type="application/json"), 415)
    assert_taxii_error(client.post(url, good, content_type="application/stix+json;version=2.1"), 415)
    assert_taxii_error(client.post(f"collections/{shared_id()}/objects/", good), 403)  # read-only
    assert_taxii_error(client.post("collections/00000000-0000-4000-8000-000000000000/objects/", good), 404)
    for malformed in (
        b"{not json",
        b"[]",
        b'{"objects": []}',
        b'{"objects": [1]}',
        b'{"objects": [{"type": "indicator"}]}',
    ):
        assert_taxii_error(client.post(url, malformed), 400)
    settings.ACCORD_TAXII_MAX_CONTENT_LENGTH = len(good) - 1
    assert_taxii_error(client.post(url, good), 413)
    assert Submission.objects.count() == StixObject.objects.count() == Status.objects.count() == 0


def test_reading_a_write_only_inbox_is_a_403(taxii_as, sharer, inbox):
    inbox.read_back = False
    inbox.save()
    client = taxii_as("partner_contributor")
    listed = {c["alias"]: c for c in client.get("collections/").json()["collections"]}
    assert (listed[inbox.alias]["can_read"], listed[inbox.alias]["can_write"]) == (False, True)
    for path in ("objects/", "manifest/", "objects/indicator--00000000-0000-4000-8000-000000000001/"):
        assert_taxii_error(client.get(f"collections/{inbox.pk}/{path}"), 403)
    assert_taxii_error(
        client.delete(f"collections/{inbox.pk}/objects/indicator--00000000-0000-4000-8000-000000000001/"), 403
    )
    assert share(client, inbox, *indicators(1))["success_count"] == 1


def test_delete_revokes_the_originators_object_and_is_audited(taxii_as, sharer, inbox):
    contributor = taxii_as("partner_contributor")
    share(contributor, inbox, *indicators(2))
    target = indicators(1)[0]["id"]
    assert_taxii_error(taxii_as("analyst").delete(f"collections/{shared_id()}/objects/{target}/"), 403)
    response = contributor.delete(f"collections/{inbox.pk}/objects/{target}/")
    assert response.status_code == 200
    assert StixObject.objects.get(stix_id=target).revoked
    assert AuditEvent.objects.filter(action="object.revoke", object_id=target).exists()
    served = taxii_as("analyst").get(f"collections/{shared_id()}/objects/").json()["objects"]
    assert [o["id"] for o in served] == [indicators(1, 2)[0]["id"]]
    assert_taxii_error(contributor.delete(f"collections/{inbox.pk}/objects/{target}/"), 404)  # already gone
    # Gone for its originator too (§5.7), from every endpoint of every collection.
    for collection in (inbox.pk, shared_id()):
        base = f"collections/{collection}/"
        assert_taxii_error(contributor.get(f"{base}objects/{target}/"), 404)
        assert_taxii_error(contributor.get(f"{base}objects/{target}/versions/"), 404)
        listed = contributor.get(f"{base}objects/").json()["objects"]
        assert [o["id"] for o in listed] == [indicators(1, 2)[0]["id"]]
        manifest = contributor.get(f"{base}manifest/").json()["objects"]
        assert [m["id"] for m in manifest] == [indicators(1, 2)[0]["id"]]


def test_delete_takes_the_versions_matched_and_all_by_default(taxii_as, sharer, inbox):
    contributor = taxii_as("partner_contributor")
    target = indicators(1)[0]["id"]
    share(contributor, inbox, *indicators(1), *indicators(1, modified="2026-06-01T12:00:00.000Z"))
    share(contributor, inbox, *indicators(1, modified="2026-07-01T12:00:00.000Z"))
    live = StixObject.objects.filter(stix_id=target, revoked=False)
    url = f"collections/{inbox.pk}/objects/{target}/"
    assert contributor.delete(url + "?match[version]=first").status_code == 200
    assert sorted(f"{m:%m}" for m in live.values_list("modified", flat=True)) == ["06", "07"]
    assert contributor.delete(url + "?match[version]=2026-07-01T12:00:00.000Z").status_code == 200
    assert [f"{m:%m}" for m in live.values_list("modified", flat=True)] == ["06"]
    assert_taxii_error(contributor.delete(url + "?match[version]=2026-07-01T12:00:00.000Z"), 404)  # gone already
    assert_taxii_error(contributor.delete(url + "?match[version]=yesterday"), 400)
    assert contributor.delete(url).status_code == 200  # no match[version]: every version left
    assert not live.exists()
    assert AuditEvent.objects.filter(action="object.revoke", object_id=target).count() == 3


def test_collections_follow_their_spec(taxii_as, sharer, inbox):
    share(taxii_as("partner_contributor"), inbox, *indicators(2))  # Kestrel is in Europe
    client = taxii_as("analyst")
    europe = Collection.objects.get(alias="region-europe").pk
    africa = Collection.objects.get(alias="region-africa").pk
    assert len(client.get(f"collections/{europe}/objects/").json()["objects"]) == 2
    assert client.get(f"collections/{africa}/objects/").json() == {"more": False}
    from accord.taxii.services import collection_create

    operation = collection_create(kind="operation", alias="op", title="Op", spec={"crime_type": ["bec"]})
    assert client.get(f"collections/{operation.pk}/objects/").json() == {"more": False}
    assert client.get(f"collections/{operation.alias}/").json()["id"] == str(operation.pk)


def test_stix_id_and_campaign_name_objects_and_the_other_keys_narrow(taxii_as, sharer, inbox):
    """``stix_id`` and ``campaign`` are OR-ed, the rest AND-ed; a campaign's members are looked up
    when the collection is read, so a member added later is served without touching the spec."""
    from accord.analysis.models import Campaign, CampaignMember
    from accord.core.errors import ValidationFailed
    from accord.taxii.services import collection_create

    first, second, third = (o["id"] for o in indicators(3))
    share(taxii_as("partner_contributor"), inbox, *indicators(3))
    campaign = Campaign.objects.create(name="Mule ring")
    CampaignMember.objects.create(stix_object=StixObject.objects.get(stix_id=second), campaign=campaign)
    spec = {"stix_id": [first], "campaign": [campaign.pk]}
    named = collection_create(kind="operation", alias="op-named", title="Named", spec=spec)
    narrowed = collection_create(
        kind="operation", alias="op-narrowed", title="Narrowed", spec=spec | {"type": ["malware"]}
    )
    client = taxii_as("analyst")

    def served(collection: Collection) -> set[str]:
        return {o["id"] for o in client.get(f"collections/{collection.pk}/objects/").json().get("objects", [])}

    assert served(named) == {first, second}
    CampaignMember.objects.create(stix_object=StixObject.objects.get(stix_id=third), campaign=campaign)
    assert served(named) == {first, second, third}
    assert served(narrowed) == set()
    with pytest.raises(ValidationFailed, match="campaign: a list of campaign ids"):
        collection_create(kind="operation", alias="op-bad", title="Bad", spec={"campaign": ["Mule ring"]})


def test_a_large_post_is_pending_until_the_background_ingest_completes(
    taxii_as, sharer, inbox, settings, django_capture_on_commit_callbacks
):
    settings.ACCORD_INLINE_SUBMISSION_BYTES = 0  # everything goes to the background
    client = taxii_as("partner_contributor")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        status = share(client, inbox, *indicators(3))
    assert (status["status"], status["pending_count"], status["success_count"]) == ("pending", 3, 0)
    assert [p["id"] for p in status["pendings"]] == [o["id"] for o in indicators(3)]
    assert StixObject.objects.count() == 0
    for callback in queued:
        callback()
    done = client.get(f"status/{status['id']}/").json()
    assert (done["status"], done["success_count"], done["pending_count"]) == ("complete", 3, 0)


ENDPOINTS = [
    ("get", "/taxii2/"),
    ("get", "/taxii2/api/"),
    ("get", "/taxii2/api/collections/"),
    ("get", "/taxii2/api/collections/shared/"),
    ("get", "/taxii2/api/collections/shared/objects/"),
    ("post", "/taxii2/api/collections/{inbox}/objects/"),
    ("get", "/taxii2/api/collections/shared/objects/indicator--00000000-0000-4000-8000-000000000001/"),
    ("delete", "/taxii2/api/collections/{inbox}/objects/indicator--00000000-0000-4000-8000-000000000001/"),
    ("get", "/taxii2/api/collections/shared/objects/indicator--00000000-0000-4000-8000-000000000001/versions/"),
    ("get", "/taxii2/api/collections/shared/manifest/"),
    ("get", "/taxii2/api/status/00000000-0000-4000-8000-000000000000/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_a_token_with_the_taxii_scope(client, taxii_as, sharer, inbox, people, method, path):
    url = path.format(inbox=inbox.pk)
    call = getattr(client, method)
    kwargs = {"content_type": MEDIA_TYPE, "data": envelope(*indicators(1))} if method == "post" else {}
    assert_taxii_error(call(url, headers={"Accept": MEDIA_TYPE}, **kwargs), 401)
    read_only = taxii_as("partner_contributor", scopes=("read", "write"))
    assert_taxii_error(call(url, headers=read_only.headers, **kwargs), 403)
    assert StixObject.objects.count() == 0


def test_reads_take_a_fixed_number_of_queries(taxii_as, sharer, inbox, django_assert_max_num_queries):
    share(taxii_as("partner_contributor"), inbox, *indicators(30))
    client = taxii_as("partner_reader")  # a partner: its own agreement is read too
    shared = shared_id()
    one = indicators(1)[0]["id"]
    # The first read marks the token used and the worker loads the agreements once; then: the
    # token, the collection, the states of the agreements read (the reader's, the permitting
    # ones, the originators'), the ingests running (whose heartbeats are asked), and the objects.
    with django_assert_max_num_queries(9):
        assert client.get(f"collections/{shared}/objects/").status_code == 200
    for path in (
        f"collections/{shared}/objects/",
        f"collections/{shared}/manifest/",
        f"collections/{shared}/objects/{one}/",
    ):
        with django_assert_max_num_queries(7):
            assert client.get(path).status_code == 200


def test_an_amendment_of_the_originators_agreement_counts_from_the_next_read(taxii_as, sharer, people):
    """The originators' agreements are kept per worker between reads: an amendment that redacts
    personal data onward must still hold from the very next read (an identity without its name
    is no valid STIX: it is withheld whole, as exports do)."""
    now = timezone.now()
    person = {
        "type": "identity",
        "spec_version": "2.1",
        "id": "identity--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
        "created": "2026-05-01T12:00:00.000Z",
        "modified": "2026-05-01T12:00:00.000Z",
        "name": "Jane Mule",
        "identity_class": "individual",
        "contact_information": "+44 7700 900123",
    }
    StixObject.objects.create(
        stix_id=person["id"],
        type="identity",
        created=now,
        modified=now,
        body=person,
        organisation=sharer.organisation,
        agreement=sharer,
        tlp="green",
        data_category="personal_data",
    )
    nordic = OrganisationFactory(name="Nordic CERT", country="NO")
    make_agreement(nordic)
    reader = UserFactory(organisation=nordic, role="partner_reader")
    client = Taxii(reader, secret_for(reader))
    url = f"collections/{shared_id()}/objects/{person['id']}/"
    assert client.get(url).json()["objects"][0]["name"] == "Jane Mule"
    agreement_amend(
        actor=people["programme_manager"],
        agreement=sharer,
        change_note="Personal data goes onward redacted.",
        terms={"onward_redactions": ["personal_data"]},
    )
    assert_taxii_error(client.get(url), 404)


def test_a_change_to_the_readers_own_agreement_counts_from_the_next_read(taxii_as, sharer, people):
    """The reader's agreements are kept per worker between reads too: a suspension, a
    reinstatement and an amendment that lowers its TLP ceiling each hold from the very next read."""
    share(taxii_as("partner_contributor"), Collection.objects.get(kind="inbox"), *indicators(1))
    nordic = OrganisationFactory(name="Nordic CERT", country="NO")
    own = make_agreement(nordic)
    reader = UserFactory(organisation=nordic, role="partner_reader")
    client = Taxii(reader, secret_for(reader))
    url = f"collections/{shared_id()}/objects/{indicators(1)[0]['id']}/"
    manager = people["programme_manager"]
    assert client.get(url).status_code == 200
    agreement_suspend(actor=manager, agreement=own, reason="Audit finding.")
    assert_taxii_error(client.get(url), 404)
    agreement_activate(actor=manager, agreement=own, reason="Finding closed.")
    assert client.get(url).status_code == 200
    agreement_amend(actor=manager, agreement=own, change_note="CLEAR only.", terms={"tlp_ceiling": "clear"})
    assert_taxii_error(client.get(url), 404)  # the indicator is TLP:GREEN


def test_only_the_creator_of_an_object_adds_versions_and_counts_tell_nothing_of_others(
    taxii_as, sharer, inbox, other_partner
):
    """STIX 2.1 §3.6: another organisation posting a later version of Kestrel's indicator is
    refused alone, with where it is and without naming Kestrel, and the rest of the envelope is
    stored; re-sharing Kestrel's exact version, or the same cyber-observable, is fine. The counts
    compare with the submitter's own objects only."""
    make_agreement(other_partner)
    collections_sync()
    atlas = taxii_as(UserFactory(organisation=other_partner, role="partner_contributor"))
    atlas_inbox = Collection.objects.get(kind="inbox", organisation=other_partner)
    address = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
               "value": "198.51.100.3"}  # fmt: skip
    kestrel = taxii_as("partner_contributor")
    share(kestrel, inbox, *indicators(2), address)
    original = indicators(1)[0]
    forged = original | {"modified": "2026-09-01T12:00:00.000Z", "pattern": "[ipv4-addr:value = '8.8.8.8']"}

    status = share(atlas, atlas_inbox, indicators(1, 3)[0], forged)
    assert (status["success_count"], status["failure_count"]) == (1, 1)
    assert status["successes"][0]["id"] == indicators(1, 3)[0]["id"]
    (failure,) = status["failures"]
    assert failure["id"] == forged["id"] and failure["version"] == forged["modified"]
    assert failure["message"].startswith(f"id: {forged['id']} is already in use; choose another id")
    assert "§3.6" in failure["message"] and "Kestrel" not in failure["message"]
    partial = Submission.objects.get(organisation=other_partner)
    assert (partial.status, partial.rejected_count, partial.new_count) == ("done", 1, 1)
    assert partial.errors[0]["where"].startswith("object 1 ")
    assert list(StixObject.objects.filter(organisation=other_partner).values_list("stix_id", flat=True)) == [
        indicators(1, 3)[0]["id"]
    ]
    served = taxii_as("analyst").get(f"collections/{shared_id()}/objects/{original['id']}/").json()["objects"]
    assert served[0]["pattern"] == original["pattern"]  # Kestrel's version is still the last

    # Kestrel's exact version and the same address: taken; both are new to Atlas, whoever holds them.
    status = share(atlas, atlas_inbox, original, address, indicators(1, 4)[0])
    assert status["success_count"] == 3
    done = Submission.objects.filter(organisation=other_partner, status="done").latest("pk")
    assert (done.new_count, done.updated_count) == (2, 0)  # the address and the new indicator
    again = share(kestrel, inbox, address)
    assert again["success_count"] == 1
    mine = Submission.objects.filter(organisation=inbox.organisation).order_by("-pk").first()
    assert (mine.new_count, mine.updated_count) == (0, 1)  # Kestrel's own address, seen again


def test_a_read_that_discloses_personal_data_is_audited(taxii_as, sharer, inbox):
    """Every disclosure of personal data is logged with who, when, to whom and why; a read of
    technical indicators only writes nothing."""
    mule = {"type": "identity", "spec_version": "2.1", "id": "identity--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
            "created": "2026-05-01T12:00:00.000Z", "modified": "2026-05-01T12:00:00.000Z", "name": "Jane Mule",
            "identity_class": "individual"}  # fmt: skip
    share(taxii_as("partner_contributor"), inbox, *indicators(2), mule)
    nordic = OrganisationFactory(name="Nordic CERT", country="NO")
    make_agreement(nordic)
    reader = UserFactory(organisation=nordic, role="partner_reader")
    client = Taxii(reader, secret_for(reader))
    before = AuditEvent.objects.filter(action="personal_data.consulted").count()
    technical = client.get(f"collections/{shared_id()}/objects/", {"match[type]": "indicator"})
    assert len(technical.json()["objects"]) == 2
    assert AuditEvent.objects.filter(action="personal_data.consulted").count() == before
    for path, params in (
        (f"collections/{shared_id()}/objects/", {"purpose": "prevention"}),
        (f"collections/shared/objects/{mule['id']}/", {}),
    ):
        assert client.get(path, params).status_code == 200
        event = AuditEvent.objects.filter(action="personal_data.consulted").latest("seq")
        assert (event.actor, event.organisation) == (reader, nordic)
        assert event.details["objects"] == [mule["id"]] and event.details["collection"] == "shared"
        assert event.details["via"] == "taxii"
        assert event.details["purpose"] == params.get("purpose", "investigation")
    assert AuditEvent.objects.filter(action="personal_data.consulted").count() == before + 2


def test_objects_added_after_a_running_ingest_began_wait_for_it(taxii_as, sharer, inbox):
    """An ingest stamps date_added when it starts and commits later; what a later ingest added
    meanwhile is held back until it ends, so that a reader going on from the newest date it saw
    (added_after, next) never skips the earlier-stamped objects. A dead one holds back nothing:
    one whose process was killed (its heartbeat stopped) at once, a stuck one after an hour."""
    contributor, reader = taxii_as("partner_contributor"), taxii_as("analyst")
    url = f"collections/{shared_id()}/objects/"
    share(contributor, inbox, *indicators(2))
    running = Submission.objects.create(
        organisation=inbox.organisation,
        agreement=sharer,
        format="stix",
        sha256="0" * 64,
        size=1,
        status="processing",
        started_at=timezone.now(),
    )
    with heartbeat(running.pk):  # its process is alive and working
        share(contributor, inbox, *indicators(2, start=3))
        seen = reader.get(url)
        assert [o["id"] for o in seen.json()["objects"]] == [o["id"] for o in indicators(2)]
        manifest = reader.get(f"collections/{shared_id()}/manifest/").json()["objects"]
        assert len(manifest) == 2
        assert_taxii_error(reader.get(f"{url}{indicators(1, 3)[0]['id']}/"), 404)
        Submission.objects.filter(pk=running.pk).update(status="done")
        later = reader.get(url, {"added_after": seen["X-TAXII-Date-Added-Last"]}).json()["objects"]
        assert [o["id"] for o in later] == [o["id"] for o in indicators(2, start=3)]
        # Running for two hours, its heartbeat still going: taken for stuck, it holds back nothing.
        two_hours_ago = timezone.now() - timedelta(hours=2)
        Submission.objects.filter(pk=running.pk).update(status="processing", started_at=two_hours_ago)
        assert len(reader.get(url).json()["objects"]) == 4
        Submission.objects.filter(pk=running.pk).update(started_at=running.started_at)
        assert len(reader.get(url).json()["objects"]) == 2  # running again, as at first: held back
    # Its process killed: the row still says "processing", the heartbeat is silent.
    assert Submission.objects.get(pk=running.pk).status == "processing"
    assert len(reader.get(url).json()["objects"]) == 4


def test_when_the_newest_version_is_withdrawn_the_one_before_is_the_last(taxii_as, sharer, inbox):
    contributor = taxii_as("partner_contributor")
    target = indicators(1)[0]["id"]
    share(contributor, inbox, *indicators(1), *indicators(1, modified="2026-07-01T12:00:00.000Z"), *indicators(1, 2))
    assert contributor.delete(f"collections/{inbox.pk}/objects/{target}/?match[version]=last").status_code == 200
    readers = ((contributor, inbox.pk), (contributor, shared_id()), (taxii_as("analyst"), shared_id()))
    for reader, collection in readers:  # the originator too: it sees its withdrawn version elsewhere
        listed = reader.get(f"collections/{collection}/objects/").json()["objects"]
        assert [(o["id"], o["modified"]) for o in listed if o["id"] == target] == [
            (target, indicators(1)[0]["modified"])
        ]
        manifest = reader.get(f"collections/{collection}/manifest/").json()["objects"]
        assert [m["version"] for m in manifest if m["id"] == target] == ["2026-05-01T12:00:00.000000Z"]
