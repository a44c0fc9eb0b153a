"""Every programme endpoint refuses what a role may not do, and pins the lists' query counts."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.models import AuditEvent
from accord.programme.models import Certificate, Enrolment, Secondment, SecondmentRequest, TrainingSession
from tests.programme.conftest import days, make_officer


@pytest.fixture
def world(people: Any, partner: Any, expert: Any, course: Any, unit: Any, secondment_agreement: Any) -> dict[str, Any]:
    """One of everything, as rows."""
    request = SecondmentRequest.objects.create(
        reference="SRQ-2026-0001", title="T", unit="U", project="P", purpose="research", location_city="Lyon",
        location_country="FR", start=days(10), end=days(40), required_skills={"malware_analysis": 3},
    )  # fmt: skip
    placement = Secondment.objects.create(
        reference="PLC-2026-0001", expert=expert, request=request, organisation=partner,
        agreement=secondment_agreement, start=days(10), end=days(40),
    )  # fmt: skip
    session = TrainingSession.objects.create(
        course=course, start=days(-3), end=days(-1), city="Nairobi", country="KE", region="africa", capacity=5,
        language="en",
    )  # fmt: skip
    enrolment = Enrolment.objects.create(session=session, officer=make_officer(unit, 1), status="completed")
    certificate = Certificate.objects.create(enrolment=enrolment, code="AAAA-BBBB-CCCC-DDDD", issued_on=days(0))
    return {"request": request, "placement": placement, "session": session, "enrolment": enrolment,
            "certificate": certificate}  # fmt: skip


MANAGER_ONLY = [
    ("post", "/api/v1/skills/", {"code": "x", "label": "X"}),
    ("post", "/api/v1/secondment-requests/", {}),
    ("get", "/api/v1/secondment-requests/{request}/candidates/", None),
    ("post", "/api/v1/secondment-requests/{request}/status/", {"status": "closed"}),
    ("post", "/api/v1/secondments/{placement}/transition/", {"to": "approved"}),
    ("post", "/api/v1/courses/", {}),
    ("post", "/api/v1/training-sessions/", {}),
    ("post", "/api/v1/training-sessions/{session}/cancel/", {"reason": "x"}),
    ("post", "/api/v1/sponsorships/", {}),
    ("post", "/api/v1/enrolments/{enrolment}/confirm/", None),
    ("post", "/api/v1/enrolments/{enrolment}/attendance/", {"attended": True}),
    ("post", "/api/v1/enrolments/{enrolment}/complete/", None),
    ("post", "/api/v1/certificates/{certificate}/revoke/", {"reason": "x"}),
    ("get", "/api/v1/programme-reports/sessions/", None),
]


def _url(template: str, world: dict[str, Any]) -> str:
    return template.format(**{name: obj.pk for name, obj in world.items()})


@pytest.mark.parametrize(("method", "template", "body"), MANAGER_ONLY)
def test_partner_staff_are_refused(api_for, world, method, template, body):
    response = getattr(api_for("partner_contributor"), method)(_url(template, world), body, format="json")
    assert response.status_code == 403, response.content


@pytest.mark.parametrize(
    "template",
    ["/api/v1/experts/", "/api/v1/secondments/", "/api/v1/enrolments/", "/api/v1/certificates/", "/api/v1/skills/"],
)
def test_anonymous_callers_are_refused(anon, world, template):
    assert anon.get(template).status_code in (401, 403)


def test_read_only_host_roles_change_nothing(api_for, world):
    auditor = api_for("auditor")
    assert auditor.get("/api/v1/experts/").json()["count"] == 1  # host staff read everything
    assert auditor.post("/api/v1/experts/", {}, format="json").status_code == 403  # no write scope
    analyst = api_for("analyst")
    url = _url("/api/v1/secondments/{placement}/transition/", world)
    assert analyst.post(url, {"to": "cancelled", "reason": "x"}, format="json").status_code == 403


def test_a_partner_sees_its_own_certificates_only(api_for, world, unit_contributor, other_partner):
    assert api_for(unit_contributor).get("/api/v1/certificates/").json()["count"] == 1
    assert api_for("partner_contributor").get("/api/v1/certificates/").json()["count"] == 0
    url = _url("/api/v1/certificates/{certificate}/download/", world)
    assert api_for("partner_contributor").get(url).status_code == 404
    assert api_for(unit_contributor).get(url).content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/courses/",
        "/api/v1/sponsorships/",
        "/api/v1/officers/",
        "/api/v1/certificates/",
        "/api/v1/skills/",
        "/api/v1/experts/",
    ],
)
def test_list_query_counts(api_for, world, url, django_assert_max_num_queries):
    manager = api_for("programme_manager")
    with django_assert_max_num_queries(7):
        assert manager.get(url).status_code == 200


def test_session_cancel_withdraws_its_enrolments(api_for, world, course, unit):
    manager = api_for("programme_manager")
    planned = manager.post(
        "/api/v1/training-sessions/",
        {"course": course.pk, "start": days(9).isoformat(), "end": days(10).isoformat(), "capacity": 3,
         "language": "fr", "city": "Dakar", "country": "SN"},
        format="json",
    ).json()  # fmt: skip
    manager.post("/api/v1/enrolments/", {"session": planned["id"], "officer": make_officer(unit, 7).pk}, format="json")
    url = f"/api/v1/training-sessions/{planned['id']}/cancel/"
    assert manager.post(url, {}, format="json").json()["error"]["message"].startswith("reason:")
    cancelled = manager.post(url, {"reason": "Venue unavailable"}, format="json").json()
    assert cancelled["cancelled"] is True
    assert Enrolment.objects.get(session_id=planned["id"]).status == "withdrawn"
    assert AuditEvent.objects.filter(action="enrolment.withdrawn").count() == 1
    held = _url("/api/v1/training-sessions/{session}/cancel/", world)
    assert manager.post(held, {"reason": "x"}, format="json").json()["error"]["message"].startswith("session:")
