"""``/api/v1/experts/`` and ``/api/v1/skills/``: partners manage their own experts, programme
managers all; the skills vocabulary is managed; bad input is refused whole."""

from __future__ import annotations

from typing import Any

from accord.core.models import AuditEvent
from accord.programme.models import Expert, Skill
from tests.programme.conftest import days

URL = "/api/v1/experts/"


def payload(**changes: Any) -> dict[str, Any]:
    return {
        "full_name": "Esi Mensah",
        "email": "e.mensah@kestrel.example",
        "job_title": "Forensic examiner",
        "skills": {"digital_forensics": 4, "osint": 2},
        "languages": [{"language": "EN", "proficiency": "c2"}, {"language": "fr", "proficiency": "B1"}],
        "clearance_level": "confidential",
        "clearance_expires": days(400).isoformat(),
        "availability": [{"start": days(30).isoformat(), "end": days(300).isoformat()}],
    } | changes


def test_a_partner_adds_its_own_expert(api_for, people, partner):
    response = api_for("partner_contributor").post(URL, payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["organisation"] == partner.pk
    assert body["skills"] == {"digital_forensics": 4, "osint": 2}
    assert body["languages"] == [{"language": "en", "proficiency": "C2"}, {"language": "fr", "proficiency": "B1"}]
    assert AuditEvent.objects.filter(action="expert.create", object_id=str(body["id"])).count() == 1
    updated = api_for("partner_contributor").patch(f"{URL}{body['id']}/", {"skills": {"osint": 5}}, format="json")
    assert updated.json()["skills"] == {"osint": 5} and updated.json()["job_title"] == "Forensic examiner"


def test_bad_expert_input_is_refused_whole(api_for, people):
    client = api_for("partner_contributor")
    cases = [
        ({"skills": {"lockpicking": 3}}, "skills", "unknown_skill"),
        ({"skills": {"osint": 6}}, "skills", "invalid"),
        ({"skills": {}}, "skills", "invalid"),
        ({"languages": [{"language": "english", "proficiency": "C1"}]}, "languages", "invalid"),
        ({"languages": [{"language": "en", "proficiency": "D1"}]}, "languages", "invalid"),
        ({"availability": [{"start": days(9).isoformat(), "end": days(1).isoformat()}]}, "availability", "invalid"),
        ({"clearance_expires": None}, "clearance_expires", "invalid"),
    ]
    for changes, field, code in cases:
        response = client.post(URL, payload(**changes), format="json")
        assert response.status_code == 400, changes
        error = response.json()["error"]
        assert (error["code"], list(error["details"])) == (code, [field]), error
    assert Expert.objects.count() == 0 and not AuditEvent.objects.filter(action="expert.create").exists()


def test_who_sees_and_manages_which_experts(api_for, people, partner, other_partner):
    theirs = Expert.objects.create(organisation=other_partner, full_name="A", email="a@x.example", skills={"osint": 1})
    ours = Expert.objects.create(organisation=partner, full_name="B", email="b@x.example", skills={"osint": 1})
    contributor = api_for("partner_contributor")
    assert [e["id"] for e in contributor.get(URL).json()["results"]] == [ours.pk]
    assert contributor.get(f"{URL}{theirs.pk}/").status_code == 404
    assert contributor.patch(f"{URL}{theirs.pk}/", {"is_active": False}, format="json").status_code == 404
    elsewhere = contributor.post(URL, payload(organisation=other_partner.pk), format="json")
    assert elsewhere.status_code == 400  # Kestrel cannot even see Atlas Bank's record
    assert elsewhere.json()["error"]["message"].startswith("Invalid input. organisation: No organisation with id")
    assert api_for("partner_reader").post(URL, payload(), format="json").status_code == 403
    manager = api_for("programme_manager")
    assert manager.get(URL, {"skill": "osint"}).json()["count"] == 2
    assert manager.post(URL, payload(organisation=other_partner.pk), format="json").status_code == 201
    assert api_for("analyst").post(URL, payload(), format="json").status_code == 403


def test_experts_list_query_count(api_for, people, partner, django_assert_max_num_queries):
    Expert.objects.bulk_create(
        Expert(organisation=partner, full_name=f"E{n}", email=f"e{n}@x.example", skills={"osint": 2}) for n in range(12)
    )
    manager = api_for("programme_manager")
    with django_assert_max_num_queries(6):
        assert manager.get(URL, {"page_size": 10}).json()["count"] == 12


def test_the_skills_vocabulary(api_for, people):
    codes = [s["code"] for s in api_for("partner_reader").get("/api/v1/skills/").json()]
    assert {"malware_analysis", "digital_forensics", "osint", "blockchain_analysis"} <= set(codes)
    manager = api_for("programme_manager")
    added = manager.post("/api/v1/skills/", {"code": "Cloud-Forensics", "label": "Cloud forensics"}, format="json")
    assert added.status_code == 201 and added.json()["code"] == "cloud_forensics"
    assert manager.post("/api/v1/skills/", {"code": "osint", "label": "OSINT"}, format="json").status_code == 409
    assert (
        api_for("partner_contributor").post("/api/v1/skills/", {"code": "x", "label": "X"}, format="json").status_code
        == 403
    )
    assert Skill.objects.filter(code="cloud_forensics").exists()
