"""The form a body is sent in whole, recorded when it is stored (accord.sharing.sent): its stored
text and tail are exactly what ``as_sent`` gives, byte for byte, for every type and marking."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from django.apps import apps
from django.db import connection

from accord.formats.extensions import PROPERTIES_EXTENSION
from accord.formats.markings import TLP2_IDS
from accord.formats.stix import as_sent
from accord.sharing.choices import SentForm
from accord.sharing.models import StixObject
from accord.sharing.sent import sent_form, sent_tail, sent_text
from tests.stix_samples import indicator, person, vocabulary

TLP1_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"  # TLP 1.0, mapped on input
TOPLEVEL = {"extension_type": "toplevel-property-extension"}


def _bodies() -> list[dict[str, Any]]:
    """Every STIX type, as partners send them and with the markings and declarations that
    change how they leave: none, Accord properties, each TLP 2.0 marking, a TLP 1.0 one,
    declarations present or partial, granular markings, an Accord observable type, nothing."""
    plain = vocabulary()
    account = {
        "type": "x-accord-bank-account",
        "spec_version": "2.1",
        "id": "x-accord-bank-account--00000000-0000-4000-8000-0000000000bb",
        "iban": "GB82WEST12345698765432",
    }
    accord = [body | {"x_accord_data_category": "observable"} for body in [*plain, account]]
    marked = [body | {"object_marking_refs": [ref]} for body in accord[:6] for ref in TLP2_IDS.values()]
    declared = [body | {"extensions": {PROPERTIES_EXTENSION: TOPLEVEL}} for body in marked[:8]]
    return [
        *plain,
        account,
        *accord,
        *marked,
        *declared,
        indicator(1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=[TLP1_GREEN]),
        indicator(2, "[ipv4-addr:value = '198.51.100.2']", extensions={"x": {"extension_type": "property-extension"}}),
        person(
            x_accord_data_subject="victim",
            granular_markings=[{"marking_ref": TLP2_IDS["amber"], "selectors": ["name"]}],
        ),
        {},
    ]


def test_a_body_sent_whole_is_its_stored_text_and_tail_as_as_sent_gives_it():
    seen: set[SentForm] = set()
    for body in _bodies():
        stored = orjson.dumps(body).decode()  # as the store writes it
        for tlp in TLP2_IDS:
            form = sent_form(body, tlp)
            seen.add(form)
            sent, _ = as_sent(body, tlp)
            if form == SentForm.REWRITTEN:
                continue
            text = sent_text(stored, sent_tail(form, tlp, str(body.get("type", ""))))
            assert text.encode() == orjson.dumps(sent), (form, tlp, body)
    assert seen == set(SentForm)  # every form, the rewritten ones included


def test_a_body_whose_markings_as_sent_changes_is_read_and_rewritten():
    tlp1 = indicator(1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=[TLP1_GREEN])
    other_tlp = indicator(
        2, "[ipv4-addr:value = '198.51.100.2']", object_marking_refs=[TLP2_IDS["green"]], x_accord_credibility=2
    )
    partial = indicator(3, "[ipv4-addr:value = '198.51.100.3']", x_accord_data_category="observable") | {
        "extensions": {"x": {"extension_type": "property-extension"}}
    }
    assert sent_form(tlp1, "green") == SentForm.REWRITTEN  # the TLP 2.0 marking is added to the list
    assert sent_form(other_tlp, "amber") == SentForm.REWRITTEN
    assert sent_form(partial, "green") == SentForm.REWRITTEN  # Accord's declaration joins another
    assert sent_form({}, "green") == SentForm.REWRITTEN
    assert sent_form(other_tlp, "green") == SentForm.DECLARED
    with pytest.raises(ValueError, match="rewritten"):
        sent_tail(SentForm.REWRITTEN, "green", "indicator")


@pytest.mark.django_db
def test_a_version_saved_through_the_model_has_its_form_and_the_migration_gives_existing_ones_theirs(
    partner,
):
    from tests.factories import make_agreement

    agreement = make_agreement(partner)
    body = indicator(4, "[ipv4-addr:value = '198.51.100.4']", x_accord_data_category="observable")
    obj = StixObject(
        stix_id=body["id"],
        type="indicator",
        created=body["created"],
        modified=body["modified"],
        body=body,
        organisation=partner,
        agreement=agreement,
        tlp="green",
        data_category="technical_indicator",
    )
    obj.save()
    assert obj.sent_form == StixObject.objects.get(pk=obj.pk).sent_form == SentForm.MARKED_WITH_PROPERTIES
    obj.body = body | {"object_marking_refs": [TLP2_IDS["green"]]}
    obj.save(update_fields=["body"])  # a form follows its body
    assert StixObject.objects.get(pk=obj.pk).sent_form == SentForm.DECLARED

    StixObject.objects.filter(pk=obj.pk).update(sent_form=SentForm.REWRITTEN)  # as before the migration
    migration = importlib.import_module("accord.sharing.migrations.0020_stixobject_sent_form")
    migration.fill(apps, SimpleNamespace(connection=connection))
    assert StixObject.objects.get(pk=obj.pk).sent_form == SentForm.DECLARED
