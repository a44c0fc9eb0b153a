"""The annual conference through the API: host alternation from the configuration (2013–2040),
editions, the call for papers, the programme, registrations within capacity, statistics."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.governance.models import ConferenceEdition, Registration
from tests.factories import OrganisationFactory
from tests.governance.conftest import API

CONF = f"{API}conference/"


@pytest.fixture
def hosts(db, host):
    """The Directorate hosts in odd years from 2013; a national police in the even ones."""
    other = OrganisationFactory(name="Europol-like Agency", kind="international_org", sector="", country="NL")
    return {"first": host, "second": other}


@pytest.fixture
def configured(api_for, hosts):
    body = {"first_host": hosts["first"].pk, "second_host": hosts["second"].pk, "first_year": 2013}
    response = api_for("programme_manager").put(f"{CONF}hosting/", body, format="json")
    assert response.status_code == 200, response.content
    return hosts


def edition_body(year: int, host, **extra):
    start = date(year, 10, 6)
    body = {
        "year": year,
        "host": host.pk,
        "theme": "Cybercrime without borders",
        "venue": "Convention centre",
        "city": "Singapore",
        "country": "SG",
        "start_date": str(start),
        "end_date": str(start + timedelta(days=2)),
        "capacity": 3,
        "cfp_closes": str(start - timedelta(days=60)),
    }
    return body | extra


def test_expected_host_alternates_from_2013_to_2040(api_for, configured):
    api = api_for("partner_reader")
    for year in range(2013, 2041):
        expected = configured["first"] if (year - 2013) % 2 == 0 else configured["second"]
        body = api.get(f"{CONF}hosting/", {"year": year}).json()
        assert body == {"year": year, "host": expected.pk, "host_name": expected.name}, year
    assert api.get(f"{CONF}hosting/", {"year": 2012}).status_code == 400
    assert api.get(f"{CONF}hosting/").json()["first_year"] == 2013


def test_hosting_must_be_configured_by_a_manager_with_two_hosts(api_for, hosts):
    api = api_for("programme_manager")
    same = {"first_host": hosts["first"].pk, "second_host": hosts["first"].pk}
    assert api.put(f"{CONF}hosting/", same, format="json").status_code == 400
    body = {"first_host": hosts["first"].pk, "second_host": hosts["second"].pk}
    assert api_for("partner_contributor").put(f"{CONF}hosting/", body, format="json").status_code == 403
    response = api.post(f"{CONF}editions/", edition_body(2027, hosts["first"]), format="json")
    assert response.status_code == 400 and "not configured" in response.json()["error"]["message"]


def test_an_edition_with_the_other_host_needs_an_override_with_a_reason(api_for, configured):
    api = api_for("programme_manager")
    wrong = api.post(f"{CONF}editions/", edition_body(2028, configured["first"]), format="json")
    assert wrong.status_code == 400 and wrong.json()["error"]["message"].startswith("host:")
    assert not ConferenceEdition.objects.exists()
    reason = "The second host's venue is under renovation; hosts swap for one year."
    override = api.post(
        f"{CONF}editions/", edition_body(2028, configured["first"], host_override_reason=reason), format="json"
    )
    assert override.status_code == 201 and override.json()["host_override_reason"] == reason
    normal = api.post(f"{CONF}editions/", edition_body(2027, configured["first"]), format="json")
    assert normal.status_code == 201 and normal.json()["host_override_reason"] == ""
    again = api.post(f"{CONF}editions/", edition_body(2027, configured["first"]), format="json")
    assert again.status_code == 400 and again.json()["error"]["message"] == "year: an edition for 2027 exists."
    assert ConferenceEdition.objects.count() == 2
    assert AuditEvent.objects.filter(action="governance.edition.create").count() == 2


@pytest.fixture
def edition(api_for, configured):
    year = timezone.localdate().year + 1
    host = configured["first"] if (year - 2013) % 2 == 0 else configured["second"]
    response = api_for("programme_manager").post(f"{CONF}editions/", edition_body(year, host), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_call_for_papers_review_and_programme(api_for, edition, people):
    author = api_for("partner_contributor")
    paper = {
        "edition": edition["year"],
        "title": "Tracing BEC mule networks across banks",
        "abstract": "What five banks learnt sharing mule accounts.",
        "speaker_name": "Tom Whitaker",
        "speaker_organisation": "Kestrel Threat Labs",
        "speaker_sector": "private",
    }
    created = author.post(f"{CONF}papers/", paper, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    manager = api_for("programme_manager")
    url = f"{CONF}papers/{pk}/review/"
    assert manager.post(url, {"to": "accepted", "note": "Great"}, format="json").status_code == 400  # no skipping
    assert manager.post(url, {"to": "under_review"}, format="json").json()["status"] == "under_review"
    assert manager.post(url, {"to": "accepted"}, format="json").status_code == 400  # a decision needs a note
    assert manager.post(url, {"to": "accepted", "note": "Strong case study."}, format="json").status_code == 200
    assert author.post(url, {"to": "rejected", "note": "x"}, format="json").status_code == 403
    assert [p["status"] for p in author.get(f"{CONF}papers/").json()["results"]] == ["accepted"]
    assert api_for("partner_reader").get(f"{CONF}papers/").json()["count"] == 0  # others' papers are not theirs

    start = date.fromisoformat(edition["start_date"])
    session = {
        "edition": edition["id"],
        "title": "Following the money",
        "kind": "panel",
        "starts_at": f"{start}T09:00:00Z",
        "ends_at": f"{start}T10:30:00Z",
        "paper": pk,
        "speakers": [
            {"name": "Tom Whitaker", "organisation": "Kestrel Threat Labs", "sector": "private"},
            {"name": "Kevin Mwangi", "organisation": "Kenya National Cybercrime Unit", "sector": "law_enforcement"},
            {"name": "Esi Mensah", "organisation": "Cape Coast Centre for Cyber Forensics", "sector": "academia"},
        ],
    }
    response = manager.post(f"{CONF}sessions/", session, format="json")
    assert response.status_code == 201, response.content
    late = session | {
        "starts_at": f"{start + timedelta(days=9)}T09:00:00Z",
        "ends_at": f"{start + timedelta(days=9)}T10:00:00Z",
    }
    assert manager.post(f"{CONF}sessions/", late, format="json").status_code == 400
    programme = api_for("partner_reader").get(f"{CONF}sessions/", {"edition": edition["year"]}).json()
    assert [s["sector"] for s in programme["results"][0]["speakers"]] == ["private", "law_enforcement", "academia"]


def test_registrations_within_capacity_and_statistics(api_for, edition, people):
    manager = api_for("programme_manager")
    people_ = [
        ("Kevin Mwangi", "k@ke.example", "law_enforcement", "KE"),
        ("Tom Whitaker", "t@kestrel.example", "private", "GB"),
        ("Esi Mensah", "e@cccf.example", "academia", "GH"),
    ]
    ids = []
    for name, email, sector, country in people_:
        body = {"edition": edition["id"], "name": name, "email": email, "sector": sector, "country": country}
        response = manager.post(f"{CONF}registrations/", body, format="json")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    full = {"edition": edition["id"], "name": "Late", "email": "l@x.example", "sector": "other", "country": "FR"}
    response = manager.post(f"{CONF}registrations/", full, format="json")
    assert response.status_code == 400 and "full" in response.json()["error"]["message"]
    twice = full | {"email": "k@ke.example"}
    manager.post(f"{CONF}registrations/{ids[2]}/cancel/")
    assert manager.post(f"{CONF}registrations/", twice, format="json").status_code == 400
    assert manager.post(f"{CONF}registrations/", full, format="json").status_code == 201  # the cancelled place
    assert Registration.objects.filter(status="registered").count() == 3

    # People register themselves only.
    reader = people["partner_reader"]
    mine = {
        "edition": edition["id"],
        "name": "Someone",
        "email": "other@x.example",
        "sector": "private",
        "country": "GB",
    }
    assert api_for(reader).post(f"{CONF}registrations/", mine, format="json").status_code == 403

    for pk in ids[:2]:
        manager.post(f"{CONF}registrations/{pk}/attended/", {"attended": True}, format="json")
    stats = manager.get(f"{CONF}editions/{edition['id']}/statistics/").json()
    assert (stats["registered"], stats["attended"], stats["attendance_rate"]) == (3, 2, 0.667)
    assert {s["key"]: (s["registered"], s["attended"]) for s in stats["by_sector"]} == {
        "law_enforcement": (1, 1),
        "private": (1, 1),
        "other": (1, 0),
    }
    regions = {r["key"]: (r["registered"], r["attended"]) for r in stats["by_region"]}
    assert regions == {
        "africa": (1, 1),
        "americas": (0, 0),
        "asia_south_pacific": (0, 0),
        "europe": (2, 1),
        "mena": (0, 0),
    }
    assert api_for("partner_reader").get(f"{CONF}editions/{edition['id']}/statistics/").status_code == 403
