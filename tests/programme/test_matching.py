"""``GET /api/v1/secondment-requests/<id>/candidates/``: the ranking of 56 experts, in order,
with each score explained part by part."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import pytest
from django.utils import timezone

from accord.programme.models import Expert, Secondment, SecondmentRequest
from tests.factories import OrganisationFactory
from tests.programme.conftest import days

START, END = days(10), days(99)  # 90 days


def window(first: int, last: int) -> list[dict[str, str]]:
    return [{"start": days(first).isoformat(), "end": days(last).isoformat()}]


PERFECT: dict[str, Any] = {
    "skills": {"malware_analysis": 5, "threat_intelligence": 4},
    "languages": [{"language": "en", "proficiency": "C1"}, {"language": "fr", "proficiency": "B2"}],
    "clearance_level": "secret",
    "clearance_expires": days(500),
    "availability": window(0, 200),
}


@pytest.fixture
def ranked_request(partner: Any, secondment_agreement: Any) -> SecondmentRequest:
    """A request and 56 experts: 7 designed to test each part of the score, 43 weak ones, and 6
    without any required skill (who are not candidates)."""
    request = SecondmentRequest.objects.create(
        reference="SRQ-2026-0001",
        title="Ransomware negotiation support",
        unit="Cyber Fusion Centre",
        project="Operation Nightjar",
        purpose="operations_support",
        location_city="Singapore",
        location_country="SG",
        start=START,
        end=END,
        required_skills={"malware_analysis": 4, "threat_intelligence": 3},
        languages=[{"language": "en", "proficiency": "B2"}, {"language": "fr", "proficiency": "B1"}],
        clearance="secret",
    )
    no_agreement = OrganisationFactory(name="Unbound Security")
    designed = {
        "A Perfect": {},
        "B Busy": {},
        "C Underskilled": {"skills": {"malware_analysis": 2, "threat_intelligence": 3}},
        "D Expiring": {"clearance_expires": days(50)},
        "E Partly available": {"availability": window(40, 300)},  # 60 of the 90 days
        "F No French": {"languages": [{"language": "en", "proficiency": "C2"}]},
        "G Unbound": {"organisation": no_agreement},
    }
    rows = [
        Expert(**({"organisation": partner, "email": f"e{n}@example.org", "full_name": name} | PERFECT | changes))
        for n, (name, changes) in enumerate(designed.items())
    ]
    rows += [
        Expert(
            organisation=partner, full_name=f"Filler {n:02}", email=f"f{n}@example.org", skills={"malware_analysis": 1}
        )
        for n in range(43)
    ]
    rows += [
        Expert(organisation=partner, full_name=f"Analyst {n}", email=f"a{n}@example.org", skills={"data_science": 5})
        for n in range(6)
    ]
    Expert.objects.bulk_create(rows)
    busy = Expert.objects.get(full_name="B Busy")
    other = SecondmentRequest.objects.create(
        reference="SRQ-2026-0002", title="Earlier", unit="u", project="p", purpose="research",
        location_city="Lyon", location_country="FR", start=days(0), end=days(30), required_skills={"osint": 1},
    )  # fmt: skip
    Secondment.objects.create(
        reference="PLC-2026-0001", expert=busy, request=other, organisation=partner,
        agreement=secondment_agreement, start=days(0), end=days(20), status="approved",
    )  # fmt: skip
    assert Expert.objects.count() == 56
    return request


def test_ranking_order_scores_and_explanations(api_for, people, ranked_request, django_assert_max_num_queries):
    url = f"/api/v1/secondment-requests/{ranked_request.pk}/candidates/?limit=60"
    manager = api_for("programme_manager")
    with django_assert_max_num_queries(8):
        response = manager.get(url)
    assert response.status_code == 200, response.json()
    ranked = response.json()
    assert len(ranked) == 50  # the six without a required skill are not candidates
    order = [(c["expert"]["full_name"], c["score"]) for c in ranked[:7]]
    assert order == [
        ("A Perfect", 100.0),
        ("G Unbound", 100.0),
        ("E Partly available", 95.0),
        ("F No French", 92.5),
        ("B Busy", 90.0),
        ("C Underskilled", 87.1),
        ("D Expiring", 85.0),
    ]
    assert [c["rank"] for c in ranked[:3]] == [1, 2, 3]
    fillers = ranked[7:]
    assert [c["expert"]["full_name"] for c in fillers] == [f"Filler {n:02}" for n in range(43)]
    assert {c["score"] for c in fillers} == {16.4}  # skills 1/7 of 45, no conflict 10

    by_name = {c["expert"]["full_name"]: c for c in ranked}
    perfect = by_name["A Perfect"]
    assert perfect["eligible"] is True and perfect["blockers"] == []
    assert {name: part["points"] for name, part in perfect["components"].items()} == {
        "skills": 45.0,
        "languages": 15.0,
        "clearance": 15.0,
        "availability": 15.0,
        "no_conflict": 10.0,
    }
    assert perfect["explanation"].startswith(
        "Score 100/100: skills 45/45 (malware_analysis 5/4, threat_intelligence 4/3)"
    )

    under = by_name["C Underskilled"]["components"]["skills"]
    assert under["points"] == 32.14 and under["coverage"] == 0.7143
    assert under["detail"][0] == {"skill": "malware_analysis", "required": 4, "level": 2, "credit": 0.5}

    french = by_name["F No French"]["components"]["languages"]
    assert french["points"] == 7.5 and french["why"] == "en C2/B2, fr none/B1"

    partly = by_name["E Partly available"]["components"]["availability"]
    assert (partly["days_available"], partly["days_requested"], partly["points"]) == (60, 90, 10.0)

    busy = by_name["B Busy"]
    assert busy["eligible"] is False
    assert busy["components"]["no_conflict"] == {
        "points": 0.0,
        "max": 10,
        "placements": ["PLC-2026-0001"],
        "why": "overlaps PLC-2026-0001",
    }
    assert busy["blockers"] == ["conflict: overlaps PLC-2026-0001"]

    expiring = by_name["D Expiring"]
    assert expiring["components"]["clearance"]["points"] == 0.0
    assert expiring["blockers"] == [f"clearance: secret expires {days(50)}, before {END}"]

    unbound = by_name["G Unbound"]
    assert unbound["blockers"] == ["agreement: Unbound Security has no active secondment agreement for the period"]


def test_only_programme_managers_rank(api_for, people, ranked_request):
    url = f"/api/v1/secondment-requests/{ranked_request.pk}/candidates/"
    assert api_for("partner_contributor").get(url).status_code == 403
    assert api_for("analyst").get(url).status_code == 403
    assert len(api_for("programme_manager").get(url).json()) == 20  # the default limit


def test_an_agreement_ending_mid_period_is_a_blocker(api_for, people, ranked_request, partner, secondment_agreement):
    secondment_agreement.current_version.valid_until = timezone.make_aware(datetime.combine(days(50), time()))
    secondment_agreement.current_version.save()
    ranked = api_for("programme_manager").get(f"/api/v1/secondment-requests/{ranked_request.pk}/candidates/").json()
    assert ranked[0]["expert"]["full_name"] == "A Perfect"
    assert ranked[0]["score"] == 100.0 and ranked[0]["eligible"] is False
    assert ranked[0]["blockers"] == ["agreement: Kestrel Threat Labs has no active secondment agreement for the period"]
