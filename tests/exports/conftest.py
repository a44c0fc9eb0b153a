"""Shared data for the export tests: a bank shares a bundle, Kestrel's people export it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import timezone

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import ObjectObservable, Observable, StixObject
from tests.factories import UserFactory, make_agreement
from tests.stix_samples import bundle, indicator, person

ETH = "0x52908400098527886E0F7030069857D2E4169EE7"
IBAN = "GB82WEST12345698765432"
ODD_URL = 'http://login-bank-verify.info/a;b"c|d?x=1'
GREEN = [TLP2_IDS["green"]]
NOTE_ID = "note--00000000-0000-4000-8000-0000000000dd"
PERSON = person(contact_information="+44 20 7946 0958", x_accord_data_subject="suspect", object_marking_refs=GREEN)
OBJECTS = [
    indicator(1, "[ipv4-addr:value = '91.215.85.203']", object_marking_refs=GREEN, labels=["phishing"]),
    indicator(2, "[domain-name:value = 'login-bank-verify.info']", object_marking_refs=[TLP2_IDS["amber+strict"]]),
    indicator(3, "[url:value = '" + ODD_URL + "']", object_marking_refs=GREEN),
    indicator(4, "[domain-name:value = 'phish-kit-host.net']", object_marking_refs=GREEN, labels=["phishing"]),
    indicator(5, "[ipv6-addr:value = '2a0e:1c80:7::1f']", object_marking_refs=GREEN),
    {
        "type": "x-accord-bank-account",
        "spec_version": "2.1",
        "id": "x-accord-bank-account--00000000-0000-4000-8000-0000000000bb",
        "iban": IBAN,
        "object_marking_refs": GREEN,
    },
    PERSON,
    {
        "type": "x-accord-crypto-wallet",
        "spec_version": "2.1",
        "id": "x-accord-crypto-wallet--00000000-0000-4000-8000-0000000000cc",
        "currency": "eth",
        "address": ETH,
        "object_marking_refs": GREEN,
    },
    {
        "type": "note",
        "spec_version": "2.1",
        "id": NOTE_ID,
        "created": "2026-05-01T12:00:00.000Z",
        "modified": "2026-05-01T12:00:00.000Z",
        "created_by_ref": "identity--00000000-0000-4000-8000-0000000000ff",
        "content": "Seen in a phishing kit.",
        "object_refs": ["indicator--00000000-0000-4000-8000-000000000001"],
        "object_marking_refs": GREEN,
    },
]
RED_ID = "indicator--00000000-0000-4000-8000-0000000000ee"


@pytest.fixture
def shared(partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any, api_for: Any) -> Any:
    """The bank (other_partner) shares under an agreement that forbids attribution and redacts
    personal data and financial identifiers on onward sharing; Kestrel (partner) reads."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    agreement = make_agreement(
        other_partner,
        onward_redactions=["personal_data", "financial_identifier"],
        provider_attribution="must-not",
    )
    banker = UserFactory(username="banker", organisation=other_partner, role="partner_contributor")
    upload = io.BytesIO(bundle(*OBJECTS))
    upload.name = "bank.json"
    response = api_for(banker).post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    now = timezone.now()
    red = StixObject.objects.create(
        stix_id=RED_ID,
        type="indicator",
        created=now,
        modified=now,
        body=indicator(0xEE, "[ipv4-addr:value = '198.51.100.9']") | {"id": RED_ID},
        organisation=other_partner,
        agreement=agreement,
        tlp="red",
        data_category="technical_indicator",
    )
    red.recipients.set([people["partner_reader"], people["analyst"]])
    observable = Observable.objects.create(type="ipv4", value="198.51.100.9")
    ObjectObservable.objects.create(stix_object=red, observable=observable)
    return banker
