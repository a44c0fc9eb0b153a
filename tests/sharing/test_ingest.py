"""Submissions through the API and the CLI: object by object (all or nothing when strict),
deduplicated, content-addressed."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.core.models import AuditEvent
from accord.formats.markings import TLP2_IDS
from accord.sharing.models import ObjectObservable, Observable, StixObject, Submission
from tests.factories import make_agreement
from tests.stix_samples import bundle, indicator, person

URL = "/api/v1/submissions/"
MONERO = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"


GOOD = bundle(
    indicator(
        1,
        "[ipv4-addr:value = '203.0.113.7'] OR [domain-name:value = 'Login-Bank.example.com']",
        object_marking_refs=[TLP2_IDS["green"]],
    ),
    indicator(2, "[url:value = 'HTTP://login-bank.example.com:80/verify#x']"),
    {
        "type": "x-accord-bank-account",
        "id": "x-accord-bank-account--00000000-0000-4000-8000-000000000003",
        "iban": "GB82 WEST 1234 5698 7654 32",
    },
)


def post(client: Any, data: bytes, name: str = "feed.json", **params: Any) -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"{URL}?{query}", {"file": upload}, format="multipart")


def test_a_bundle_is_stored_with_provenance_markings_and_observables(api_for, sharer):
    response = post(api_for("partner_contributor"), GOOD)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["objects_count"], body["new_count"], body["observables_count"]) == ("done", 3, 3, 4)
    assert body["sha256"] == hashlib.sha256(GOOD).hexdigest()
    assert body["agreement"] == sharer.reference
    assert default_storage.open(f"submissions/{body['sha256'][:2]}/{body['sha256']}").read() == GOOD
    objects = {o.stix_id[-1]: o for o in StixObject.objects.all()}
    assert (objects["1"].tlp, objects["2"].tlp) == ("green", "amber")  # marked, else the agreement's default
    assert objects["3"].data_category == "financial_identifier"
    assert objects["1"].reliability == sharer.organisation.reliability
    assert objects["1"].expires_at is not None
    values = set(Observable.objects.values_list("type", "value"))
    assert values == {
        ("ipv4", "203.0.113.7"),
        ("domain", "login-bank.example.com"),
        ("url", "http://login-bank.example.com/verify"),
        ("iban", "GB82WEST12345698765432"),
    }
    assert ObjectObservable.objects.count() == 4
    assert AuditEvent.objects.filter(action="submission.done").exists()


def test_the_same_bytes_twice_return_the_first_submission(api_for, sharer):
    client = api_for("partner_contributor")
    first = post(client, GOOD).json()
    again = post(client, GOOD)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert Submission.objects.count() == 1 and StixObject.objects.count() == 3


def test_a_new_version_of_an_object_is_an_update(api_for, sharer):
    client = api_for("partner_contributor")
    post(client, bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']")))
    newer = post(client, bundle(indicator(1, "[ipv4-addr:value = '203.0.113.8']", modified="2026-06-01T00:00:00.000Z")))
    assert (newer.json()["new_count"], newer.json()["updated_count"]) == (0, 1)
    assert StixObject.objects.filter(stix_id__endswith="000000000001").count() == 2  # every version kept


def test_csv_as_raw_body_gives_the_same_observables_as_stix(api_for, sharer):
    client = api_for("partner_contributor")
    csv = (
        "type,value\nip-dst,203.0.113.7\ndomain,Login-Bank.example.com\nurl,http://login-bank.example.com/verify\n"
        f"phone-number,+44 20 7946 0958\nxmr,{MONERO}\niban,GB82 WEST 1234 5698 7654 32\n"
        "btc,1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n"
    ).encode()
    response = client.generic("POST", f"{URL}?format=csv", csv, content_type="text/csv")
    assert response.status_code == 201, response.json()
    from_csv = set(Observable.objects.values_list("type", "value"))
    post(client, GOOD)
    assert set(Observable.objects.values_list("type", "value")) == from_csv  # nothing new: the same observables


@pytest.mark.parametrize(
    ("data", "where", "words"),
    [
        (
            bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']"), indicator(2, "[ipv4-addr:value = '1.2.3.999']")),
            "object 1",
            "IPv4",
        ),
        (
            bundle(
                indicator(1, "[ipv4-addr:value = '203.0.113.7']"),
                {
                    "type": "x-accord-crypto-wallet",
                    "id": "x-accord-crypto-wallet--00000000-0000-4000-8000-000000000009",
                    "currency": "eth",
                    "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
                },
            ),
            "object 1",
            "EIP-55",
        ),
    ],
)
def test_strict_any_error_stores_nothing_and_says_where(api_for, sharer, data, where, words):
    response = post(api_for("partner_contributor"), data, strict="true")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_submission"
    assert where in error["message"] and words in error["message"]
    assert error["details"]["status"] == "failed"
    assert StixObject.objects.count() == 0 and Observable.objects.count() == 0


def test_a_category_the_agreement_does_not_cover_is_refused(api_for, partner, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner, data_categories=["technical_indicator"])
    response = post(api_for("partner_contributor"), GOOD)
    assert response.status_code == 201
    (error,) = response.json()["errors"]
    assert error["where"].startswith("object 2 ") and error["field"] == "data_category"
    assert "Financial identifier is not permitted" in error["message"]
    assert sorted(StixObject.objects.values_list("type", flat=True)) == ["indicator", "indicator"]  # the IBAN alone


@pytest.mark.parametrize(
    ("params", "field"),
    [({"tlp": "purple"}, "tlp"), ({"format": "xml"}, "format"), ({"agreement": "DSA-1999-0001"}, "agreement")],
)
def test_bad_options_are_400_naming_the_field(api_for, sharer, params, field):
    response = post(api_for("partner_contributor"), GOOD, **params)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert Submission.objects.count() == 0


def test_no_agreement_in_force_no_sharing(api_for, partner, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = post(api_for("partner_contributor"), GOOD)
    assert response.status_code == 400
    assert "no data-sharing agreement in force" in response.json()["error"]["message"]


def test_too_large_is_413(api_for, sharer, settings):
    settings.ACCORD_MAX_SUBMISSION_BYTES = 100
    response = post(api_for("partner_contributor"), GOOD)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert Submission.objects.count() == 0


def test_permissions(api_for, anon, sharer, other_partner):
    assert anon.get(URL).status_code == 401
    assert post(anon, GOOD).status_code == 401
    assert post(api_for("partner_reader"), GOOD).status_code == 403
    client = api_for("partner_contributor")
    for_another = client.post(f"{URL}?organisation={other_partner.pk}", {"file": io.BytesIO(GOOD)}, format="multipart")
    assert for_another.status_code == 400  # an organisation it may not see, named in the input
    assert list(for_another.json()["error"]["details"]) == ["organisation"]
    created = post(client, GOOD).json()
    assert api_for("partner_reader").get(f"{URL}{created['id']}/").json()["status"] == "done"
    assert api_for("analyst").get(URL).json()["count"] == 1


def test_large_submissions_run_in_the_background(api_for, sharer, settings, django_capture_on_commit_callbacks):
    settings.ACCORD_INLINE_SUBMISSION_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_for("partner_contributor"), GOOD)
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert Submission.objects.get().status == "done"  # the immediate backend ran the task on commit


def test_cli_import(sharer, tmp_path, capsys):
    path = tmp_path / "feed.json"
    path.write_bytes(GOOD)
    call_command("import", str(path), "--org", sharer.organisation.name)
    assert "3 objects (3 new" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("type,value\nipv4,1.2.3.4\nipv4,999.1.1.1\n")
    with pytest.raises(CommandError, match="line 3, value"):
        call_command("import", str(bad), "--org", sharer.organisation.name, "--strict")
    assert StixObject.objects.count() == 3


def test_the_same_data_as_stix_misp_and_csv_gives_the_same_observables(api_for, partner, people, settings, tmp_path):
    from pathlib import Path

    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    client = api_for("partner_contributor")
    misp = (Path(__file__).parent.parent / "data" / "misp_event.json").read_bytes()
    assert post(client, misp, "event.json").json()["status"] == "done"
    from_misp = set(Observable.objects.values_list("type", "value"))
    Observable.objects.all().delete()
    stix = bundle(
        indicator(1, "[ipv4-addr:value = '203.0.113.7'] OR [domain-name:value = 'login-bank.example.com']"),
        indicator(2, "[url:value = 'http://login-bank.example.com/verify']"),
        {
            "type": "x-accord-phone-number",
            "id": "x-accord-phone-number--00000000-0000-4000-8000-000000000003",
            "number": "+442079460958",
        },
        {
            "type": "x-accord-crypto-wallet",
            "id": "x-accord-crypto-wallet--00000000-0000-4000-8000-000000000004",
            "currency": "xmr",
            "address": MONERO,
        },
        {
            "type": "x-accord-bank-account",
            "id": "x-accord-bank-account--00000000-0000-4000-8000-000000000005",
            "iban": "GB82WEST12345698765432",
        },
        {
            "type": "x-accord-crypto-wallet",
            "id": "x-accord-crypto-wallet--00000000-0000-4000-8000-000000000006",
            "currency": "btc",
            "address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        },
    )
    assert post(client, stix).json()["status"] == "done"
    from_stix = set(Observable.objects.values_list("type", "value"))
    Observable.objects.all().delete()
    csv = (
        "type,value\nip-dst,203.0.113.7\ndomain,Login-Bank.example.com\nurl,http://login-bank.example.com/verify\n"
        f"phone-number,+44 20 7946 0958\nxmr,{MONERO}\niban,GB82 WEST 1234 5698 7654 32\n"
        "btc,1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n"
    ).encode()
    assert post(client, csv, "feed.csv").json()["status"] == "done"
    from_csv = set(Observable.objects.values_list("type", "value"))
    assert from_misp == from_stix == from_csv
    assert len(from_csv) == 7


def test_free_text_through_the_api(api_for, sharer):
    text = b"Mule account GB82 WEST 1234 5698 7654 32 received the funds. Kit at hxxp://login-bank[.]example[.]com/x."
    response = api_for("partner_contributor").generic("POST", f"{URL}?format=text", text, content_type="text/plain")
    assert response.status_code == 201, response.json()
    assert set(Observable.objects.values_list("type", flat=True)) >= {"iban", "url"}
    iban = Observable.objects.get(type="iban")
    assert iban.stix_objects.get().body["description"].startswith("Mule account")


def test_a_failed_or_abandoned_submission_can_be_sent_again(api_for, partner, people, settings, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from accord.sharing.progress import heartbeat

    settings.MEDIA_ROOT = tmp_path
    agreement = make_agreement(partner, data_categories=["technical_indicator"])
    client = api_for("partner_contributor")
    refused = post(client, GOOD, strict="true")
    assert refused.status_code == 400  # the IBAN is a financial identifier the agreement does not cover
    agreement.current_version.data_categories = ["technical_indicator", "financial_identifier"]
    agreement.current_version.save()
    again = post(client, GOOD)
    assert again.status_code == 201, again.json()
    assert again.json()["id"] == refused.json()["error"]["details"]["id"]
    assert again.json()["status"] == "done"
    # one still at work (its heartbeat beats) is not started twice, however long it has run
    stuck = Submission.objects.get()
    Submission.objects.filter(pk=stuck.pk).update(status="processing", started_at=timezone.now() - timedelta(hours=2))
    with heartbeat(stuck.pk):
        assert post(client, GOOD).status_code == 200
    # one whose process died (its heartbeat silent) is taken again at once
    Submission.objects.filter(pk=stuck.pk).update(status="processing", started_at=timezone.now())
    assert post(client, GOOD).status_code == 201
    assert AuditEvent.objects.filter(action="submission.retry").count() == 2


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"x_accord_credibility": 5}, "x_accord_credibility"),
        ({"x_accord_credibility": "high"}, "x_accord_credibility"),
        ({"x_accord_data_subject": "bystander"}, "x_accord_data_subject"),
        ({"x_accord_nature": "rumour"}, "x_accord_nature"),
    ],
)
def test_bad_handling_properties_are_refused(api_for, sharer, extra, field):
    response = post(api_for("partner_contributor"), bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']", **extra)))
    assert response.status_code == 201
    (error,) = response.json()["errors"]
    assert (error["where"], error["field"]) == ("object 0 (indicator--00000000-0000-4000-8000-000000000001)", field)
    assert StixObject.objects.count() == 0


def test_handling_properties_are_kept_and_personal_data_has_a_subject(api_for, sharer):
    data = bundle(
        indicator(1, "[ipv4-addr:value = '203.0.113.7']", x_accord_credibility=2),
        person(),
        person("bb", x_accord_data_subject="suspect", x_accord_nature="assessment"),
    )
    assert post(api_for("partner_contributor"), data).status_code == 201
    rows = {o.stix_id[-2:]: o for o in StixObject.objects.all()}
    assert rows["01"].credibility == 2
    assert (rows["aa"].data_category, rows["aa"].subject_category, rows["aa"].nature) == ("personal_data", "other", "")
    assert (rows["bb"].subject_category, rows["bb"].nature) == ("suspect", "assessment")


def test_an_object_takes_the_most_sensitive_category_it_holds(api_for, partner, settings, tmp_path):
    """E-mail addresses and user accounts are personal data, however an object declares itself;
    an object that names a phone number and an IBAN is personal data; an IBAN alone is a
    financial identifier; a declaration raises a technical object's category."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    phone = "[x-accord-phone-number:number = '+971501239999']"
    iban = "[x-accord-bank-account:iban = 'GB29NWBK60161331926819']"
    data = bundle(
        indicator(1, "[email-addr:value = 'ops@evil-payments.com']", x_accord_data_category="technical_indicator"),
        indicator(2, f"{iban} OR {phone}"),
        indicator(3, iban),
        indicator(4, "[ipv4-addr:value = '203.0.113.7']", x_accord_data_category="incident_report"),
        {"type": "email-addr", "id": "email-addr--00000000-0000-4000-8000-000000000005", "value": "ops@evil.com"},
        {"type": "user-account", "id": "user-account--00000000-0000-4000-8000-000000000006", "user_id": "mule1"},
    )
    assert post(api_for("partner_contributor"), data).status_code == 201
    categories = {o.stix_id[-1]: o.data_category for o in StixObject.objects.all()}
    assert categories == {
        "1": "personal_data",
        "2": "personal_data",
        "3": "financial_identifier",
        "4": "incident_report",
        "5": "personal_data",
        "6": "personal_data",
    }
