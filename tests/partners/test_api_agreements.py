"""``/api/v1/agreements/`` and ``/api/v1/partnerships/``: lifecycle, versions, documents, bad input."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.partners.models import Agreement, AgreementVersion
from accord.policy import decide
from accord.sharing.models import StixObject
from tests.factories import DSA_TERMS, OrganisationFactory, make_agreement

URL = "/api/v1/agreements/"


@pytest.fixture
def newcomer(db: Any) -> Any:
    return OrganisationFactory(
        name="Nordlys Cyber Research Centre", kind="academia", sector="", country="NO", status="vetting"
    )


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def sign(client: Any, agreement_id: Any) -> Any:
    """Attach the signed PDF through the API."""
    upload = io.BytesIO(PDF)
    upload.name = "signed.pdf"
    return client.post(f"{URL}{agreement_id}/document/", {"document": upload}, format="multipart")


def draft(client: Any, organisation: Any, *, signed: bool = True, **changes: Any) -> Any:
    """Draft a data-sharing agreement through the API, its signed PDF attached unless ``signed=False``."""
    payload = {
        "organisation": organisation.pk,
        "kind": "data_sharing",
        "title": "Data sharing",
        "valid_from": (timezone.now() - timedelta(days=1)).isoformat(),
        "valid_until": (timezone.now() + timedelta(days=365)).isoformat(),
        "terms": DSA_TERMS,
    } | changes
    response = client.post(URL, payload, format="json")
    if signed and response.status_code == 201:
        assert sign(client, response.json()["id"]).status_code == 200
    return response


def test_draft_activate_and_the_organisation_becomes_active(api_for, people, newcomer):
    manager = api_for("programme_manager")
    created = draft(manager, newcomer)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["reference"].startswith("DSA-")
    assert body["status"] == "draft"
    assert body["current_version"]["tlp_ceiling"] == "amber"
    newcomer.refresh_from_db()
    assert newcomer.status == "vetting"
    manager.post(f"{URL}{body['id']}/activate/", {"reason": "Signed"}, format="json")
    newcomer.refresh_from_db()
    assert newcomer.status == "active"
    events = list(
        AuditEvent.objects.filter(object_type="partners.agreement", object_id=str(body["id"])).values_list(
            "action", flat=True
        )
    )
    assert events == ["agreement.create", "agreement.document", "agreement.active"]
    assert AuditEvent.objects.filter(action="organisation.status", details__to="active").exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"kind": "friendship"}, "kind", "data_sharing, secondment, training_support, analysis_tools"),
        ({"valid_until": "2020-01-01T00:00:00Z"}, "valid_until", "after the start"),
        ({"terms": DSA_TERMS | {"tlp_ceiling": "purple"}}, "terms", "clear, green, amber, amber+strict, red"),
        ({"terms": DSA_TERMS | {"permitted_actions": "anything"}}, "terms", "contact-for-instruction"),
        ({"terms": DSA_TERMS | {"data_categories": ["gossip"]}}, "terms", "technical_indicator"),
        (
            {"terms": {k: v for k, v in DSA_TERMS.items() if k != "provider_attribution"}},
            "provider_attribution",
            "required",
        ),
        ({"terms": DSA_TERMS | {"onward_regions": ["atlantis"]}}, "terms", "asia_south_pacific"),
    ],
)
def test_bad_agreements_are_400_naming_the_field_and_allowed_values(api_for, people, newcomer, changes, field, words):
    response = draft(api_for("programme_manager"), newcomer, **changes)
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["details"]
    assert words in str(error)
    assert not Agreement.objects.exists()


def test_overlapping_active_data_sharing_agreements_are_refused(api_for, people, newcomer):
    manager = api_for("programme_manager")
    first = draft(manager, newcomer).json()
    manager.post(f"{URL}{first['id']}/activate/", {}, format="json")
    second = draft(manager, newcomer, title="Another").json()
    refused = manager.post(f"{URL}{second['id']}/activate/", {}, format="json")
    assert refused.status_code == 400
    assert "valid_from" in refused.json()["error"]["details"]
    assert first["reference"] in refused.json()["error"]["message"]
    assert Agreement.objects.get(pk=second["id"]).status == "draft"
    # a later, non-overlapping period is fine once the first ends before it
    later = draft(
        manager,
        newcomer,
        valid_from=(timezone.now() + timedelta(days=400)).isoformat(),
        valid_until=(timezone.now() + timedelta(days=800)).isoformat(),
    ).json()
    assert manager.post(f"{URL}{later['id']}/activate/", {}, format="json").json()["status"] == "active"


def test_amendment_is_a_new_version_and_keeps_the_old(api_for, people, newcomer):
    manager = api_for("programme_manager")
    agreement = draft(manager, newcomer).json()
    amended = manager.post(
        f"{URL}{agreement['id']}/amend/",
        {
            "change_note": "Add research as a purpose",
            "terms": {"purposes": ["investigation", "research"]},
        },
        format="json",
    )
    assert amended.status_code == 200, amended.json()
    assert amended.json()["current_version"]["number"] == 2
    assert amended.json()["current_version"]["purposes"] == ["investigation", "research"]
    versions = manager.get(f"{URL}{agreement['id']}/versions/").json()
    assert [(v["number"], v["purposes"]) for v in versions] == [
        (2, ["investigation", "research"]),
        (1, ["investigation"]),
    ]
    no_note = manager.post(f"{URL}{agreement['id']}/amend/", {"change_note": ""}, format="json")
    assert no_note.status_code == 400


def test_suspend_and_terminate_need_reasons_and_end_access(api_for, people, newcomer):
    manager = api_for("programme_manager")
    agreement = draft(manager, newcomer).json()
    manager.post(f"{URL}{agreement['id']}/activate/", {}, format="json")
    assert manager.post(f"{URL}{agreement['id']}/suspend/", {}, format="json").status_code == 400
    suspended = manager.post(f"{URL}{agreement['id']}/suspend/", {"reason": "Breach under review"}, format="json")
    assert suspended.json()["status"] == "suspended"
    newcomer.refresh_from_db()
    assert newcomer.status == "vetting"
    assert manager.post(f"{URL}{agreement['id']}/activate/", {}, format="json").json()["status"] == "active"
    manager.post(f"{URL}{agreement['id']}/terminate/", {"reason": "Partner withdrew"}, format="json")
    illegal = manager.post(f"{URL}{agreement['id']}/activate/", {}, format="json")
    assert illegal.status_code == 400
    assert "terminated" in illegal.json()["error"]["message"]


def test_a_data_sharing_agreement_without_its_signed_document_is_not_activated(api_for, people, newcomer):
    manager = api_for("programme_manager")
    agreement = draft(manager, newcomer, signed=False).json()
    refused = manager.post(f"{URL}{agreement['id']}/activate/", {"reason": "Agreed by phone"}, format="json")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert {"document", "override_reason"} <= set(error["details"])
    assert "no signed document" in error["message"]
    # a programme manager may not override: that takes a platform administrator
    overridden = manager.post(
        f"{URL}{agreement['id']}/activate/", {"override_reason": "Signed copy in the post"}, format="json"
    )
    assert overridden.status_code == 403
    assert "platform administrator" in overridden.json()["error"]["message"]
    assert Agreement.objects.get(pk=agreement["id"]).status == "draft"
    assert not AuditEvent.objects.filter(action__startswith="agreement.activate").exists()
    # a blank override is no override
    blank = api_for("admin").post(f"{URL}{agreement['id']}/activate/", {"override_reason": "  "}, format="json")
    assert blank.status_code == 400
    activated = api_for("admin").post(
        f"{URL}{agreement['id']}/activate/",
        {"override_reason": "Signed copy in the post; operation starts Monday"},
        format="json",
    )
    assert activated.status_code == 200, activated.json()
    assert activated.json()["status"] == "active"
    event = AuditEvent.objects.get(action="agreement.activate_unsigned")
    assert event.justification == "Signed copy in the post; operation starts Monday"
    assert event.actor.username == "admin"
    assert event.details["reference"] == agreement["reference"]


def test_other_kinds_of_agreement_need_no_signed_document(api_for, people, newcomer):
    manager = api_for("programme_manager")
    created = draft(manager, newcomer, signed=False, kind="training_support", terms={}).json()
    assert manager.post(f"{URL}{created['id']}/activate/", {}, format="json").json()["status"] == "active"


def test_signed_document_is_stored_with_its_hash_and_size(api_for, people, newcomer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = api_for("programme_manager")
    agreement = draft(manager, newcomer, signed=False).json()
    upload = io.BytesIO(PDF)
    upload.name = "DSA signed.pdf"
    response = manager.post(f"{URL}{agreement['id']}/document/", {"document": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    version = response.json()["current_version"]
    assert version["document_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert version["document_size"] == len(PDF)
    assert (tmp_path / "agreements" / f"{hashlib.sha256(PDF).hexdigest()}.pdf").read_bytes() == PDF
    download = manager.get(f"{URL}{agreement['id']}/document/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert api_for("auditor").get(f"{URL}{agreement['id']}/document/").status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("contract.docx", b"PK\x03\x04 not a pdf", "not a PDF"),
        ("fake.pdf", b"<html>not a pdf</html>", "not a PDF"),
        ("big.pdf", PDF + b"0" * 2048, "larger than"),
    ],
)
def test_bad_documents_are_refused(api_for, people, newcomer, settings, tmp_path, name, content, words):
    settings.MEDIA_ROOT = tmp_path
    settings.ACCORD_MAX_DOCUMENT_BYTES = 1024
    manager = api_for("programme_manager")
    agreement = draft(manager, newcomer, signed=False).json()
    upload = io.BytesIO(content)
    upload.name = name
    response = manager.post(f"{URL}{agreement['id']}/document/", {"document": upload}, format="multipart")
    assert response.status_code == 400
    assert words in response.json()["error"]["message"]
    assert AgreementVersion.objects.get(agreement_id=agreement["id"]).document_sha256 == ""


def test_partners_read_only_their_own_agreements(api_for, people, partner, other_partner):
    mine = make_agreement(partner)
    theirs = make_agreement(other_partner)
    client = api_for("partner_reader")
    assert [a["reference"] for a in client.get(URL).json()["results"]] == [mine.reference]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.post(f"{URL}{mine.pk}/suspend/", {"reason": "x"}, format="json").status_code == 403
    assert api_for("analyst").post(f"{URL}{mine.pk}/suspend/", {"reason": "x"}, format="json").status_code == 403


def test_sweep_expires_agreements_and_access_ends_at_the_window(people, partner, other_partner):
    moment = timezone.now()
    agreement = make_agreement(partner, valid_until=moment + timedelta(seconds=30))
    make_agreement(other_partner)
    obj = StixObject.objects.create(
        stix_id="indicator--1",
        type="indicator",
        created=moment,
        modified=moment,
        organisation=other_partner,
        agreement=other_partner.agreements.get(),
        tlp="green",
        data_category="technical_indicator",
    )
    reader = people["partner_reader"]
    from accord.policy import principal_context

    before = decide(principal_context(reader, now=moment + timedelta(seconds=29)), obj)
    after = decide(principal_context(reader, now=moment + timedelta(seconds=30)), obj)
    assert before.allowed and not after.allowed  # the policy reads the window itself: the same second
    assert "expired on" in after.reason

    call_command("agreements", "sweep", "--now", (moment + timedelta(seconds=31)).isoformat())
    agreement.refresh_from_db()
    partner.refresh_from_db()
    assert agreement.status == "expired"
    assert partner.status == "vetting"
    assert AuditEvent.objects.filter(action="agreement.expired", object_id=str(agreement.pk)).exists()


def test_partnership_suspend_and_reinstate(api_for, people, partner):
    make_agreement(partner)
    manager = api_for("programme_manager")
    url = f"/api/v1/partnerships/{partner.pk}/"
    assert manager.get(url).json()["agreements"][0]["status"] == "active"
    assert manager.post(f"{url}suspend/", {}, format="json").status_code == 400
    assert manager.post(f"{url}suspend/", {"reason": "Audit"}, format="json").json()["status"] == "suspended"
    assert manager.post(f"{url}reinstate/", {"reason": "Audit closed"}, format="json").json()["status"] == "active"
    assert api_for("partner_contributor").post(f"{url}suspend/", {"reason": "x"}, format="json").status_code == 403
    ended = manager.post(f"{url}terminate/", {"reason": "Partner withdrew"}, format="json").json()
    assert ended["status"] == "terminated"
    assert ended["agreements"][0]["status"] == "terminated"


def test_the_worker_sweeps_daily(people, partner):
    agreement = make_agreement(partner, valid_until=timezone.now() + timedelta(seconds=1))
    AgreementVersion.objects.filter(agreement=agreement).update(valid_until=timezone.now() - timedelta(seconds=1))
    out = io.StringIO()
    call_command("worker", "--batch", stdout=out)
    assert "agreements_sweep" in out.getvalue()
    agreement.refresh_from_db()
    assert agreement.status == "expired"
    from accord.core.models import ScheduledRun

    assert ScheduledRun.objects.get(name="accord.partners.services.agreements_sweep").last_result == "1 item(s)"


def test_an_agreement_that_starts_later_gives_access_from_its_first_second(people, partner, other_partner):
    partner.status = "vetting"
    partner.save()
    start = timezone.now() + timedelta(hours=2)
    make_agreement(partner, valid_from=start)
    make_agreement(other_partner)
    obj = StixObject.objects.create(
        stix_id="indicator--2",
        type="indicator",
        created=start,
        modified=start,
        organisation=other_partner,
        agreement=other_partner.agreements.get(),
        tlp="green",
        data_category="technical_indicator",
    )
    from accord.policy import principal_context

    reader = people["partner_reader"]
    early = decide(principal_context(reader, now=start - timedelta(seconds=1)), obj)
    assert "takes effect on" in early.reason
    assert decide(principal_context(reader, now=start), obj).allowed
    call_command("agreements", "sweep", "--now", (start + timedelta(minutes=1)).isoformat())
    partner.refresh_from_db()
    assert partner.status == "active"


def test_list_query_counts_are_constant(api_for, people, partner, django_assert_max_num_queries):
    for n in range(15):
        make_agreement(OrganisationFactory(name=f"Org {n}"))
    client = api_for("programme_manager")
    with django_assert_max_num_queries(6):
        assert client.get(URL, {"page_size": 100}).json()["count"] == 15
    with django_assert_max_num_queries(7):
        assert client.get("/api/v1/partnerships/", {"page_size": 100}).status_code == 200
