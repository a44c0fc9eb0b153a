"""Over the policy matrix: no principal receives through an export an object the policy denies.

The objects and principals of ``tests/policy/test_matrix.py`` (every role × agreement state ×
recipient kind × recipient terms × targeting, and every TLP × data category × originator terms ×
object state × targeting) get an indicator body and an IPv4 address each. For every principal
and purpose, the STIX, CSV and blocklist exports (one per path through the store: whole objects,
object–observable links, distinct observables; CSV for one purpose) must carry exactly the objects that
``decide(..., "export", ...)`` allows, never TLP:RED, and none whose values are redacted.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import itertools

import orjson
import pytest
from django.db import connection
from stix2validator import ValidationOptions, validate_string

from accord.core.choices import Tlp
from accord.exports.services import export_start
from accord.policy import decide, principal_context
from accord.sharing.models import ObjectObservable, Observable, StixObject
from tests.policy.test_matrix import PURPOSES, matrix  # noqa: F401  (the fixture)

STAMP = "2026-05-01T12:00:00.000Z"


def _ip(pk: int) -> str:
    return str(ipaddress.IPv4Address("194.147.64.0") + pk)


@pytest.fixture
def exportable(matrix):  # noqa: F811
    objects = list(StixObject.objects.all())
    for obj in objects:
        obj.body = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": obj.stix_id,
            "created": STAMP,
            "modified": STAMP,
            "name": f"object {obj.pk}",
            "pattern": f"[ipv4-addr:value = '{_ip(obj.pk)}']",
            "pattern_type": "stix",
            "valid_from": STAMP,
        }
    StixObject.objects.bulk_update(objects, ["body"])
    observables = Observable.objects.bulk_create([Observable(type="ipv4", value=_ip(o.pk)) for o in objects])
    ObjectObservable.objects.bulk_create(
        [ObjectObservable(stix_object=o, observable=v) for o, v in zip(objects, observables, strict=True)]
    )
    if connection.vendor == "postgresql":  # planner statistics for the rows just written, as autovacuum
        with connection.cursor() as cursor:  # would give a real database (tables emptied by earlier
            cursor.execute("ANALYZE")  # tests otherwise look empty, and every join a nested loop)
    return matrix


def _read(export) -> str:
    return b"".join(export.chunks).decode()


def test_exports_never_carry_what_the_policy_denies(exportable):
    objects = list(
        StixObject.objects.select_related("agreement__current_version__agreement").prefetch_related(
            "recipients", "addressed_to"
        )
    )
    checked = 0
    sizes = set()
    for user, purpose in itertools.product(exportable["principals"].values(), PURPOSES):
        context = principal_context(user)
        expected = set()
        for obj in objects:
            decision = decide(context, obj, "export", purpose)
            if decision.allowed and obj.tlp != Tlp.RED and not decision.redactions:
                expected.add(obj.stix_id)
        ips = {_ip(o.pk) for o in objects if o.stix_id in expected}
        params = {"purpose": purpose}

        bundle = _read(export_start(actor=user, format="stix", params=params))
        got = {o["id"] for o in orjson.loads(bundle)["objects"] if o["type"] == "indicator"}
        assert got == expected, (user.role, user.organisation.name, purpose)
        if purpose == PURPOSES[0]:  # the links path shares the objects path's batches: one purpose will do
            rows = list(csv.DictReader(io.StringIO(_read(export_start(actor=user, format="csv", params=params)))))
            assert {r["stix_id"] for r in rows} == expected
        listed = _read(export_start(actor=user, format="blocklist", params=params | {"observable_type": "ipv4"}))
        assert {line for line in listed.splitlines() if not line.startswith("#")} == ips
        checked += 1
        sizes.add(len(expected))
        if expected and checked % 40 == 1:
            assert validate_string(bundle, ValidationOptions()).is_valid
    assert checked == len(exportable["principals"]) * len(PURPOSES)
    assert len(sizes) > 5  # the matrix really varies what each principal may export
