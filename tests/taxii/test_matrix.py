"""Over the policy matrix (tests/policy/test_matrix.py): through TAXII, every principal receives
exactly what ``accord.policy`` allows for the ``export`` action, with redacted fields removed,
of the live versions (a collection holds no revoked or expired version, for anyone)."""

from __future__ import annotations

from typing import Any

import pytest

from accord.formats.markings import TLP2_IDS
from accord.policy import HANDLING_PROPERTIES, REDACTED_FIELDS, decide, principal_context
from accord.sharing.models import StixObject
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync
from tests.policy.test_matrix import PURPOSES, matrix  # noqa: F401  (the matrix fixture)
from tests.taxii.conftest import Taxii, secret_for

SENSITIVE = sorted({name for names in REDACTED_FIELDS.values() for name in names})


@pytest.fixture
def served_matrix(matrix: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    for obj in StixObject.objects.all():
        # An object that stays valid STIX when redacted (a redacted indicator, or an identity
        # without its name, is withheld whole: tests/exports and test_protocol cover those).
        obj.body = {"type": "malware", "spec_version": "2.1", "id": obj.stix_id, "is_family": False} | {
            n: "x" for n in SENSITIVE
        }
        obj.save(update_fields=["body"])
    collections_sync()
    return matrix


def test_taxii_never_serves_what_the_policy_denies(served_matrix):
    objects = list(
        StixObject.objects.select_related("agreement__current_version__agreement").prefetch_related(
            "recipients", "addressed_to"
        )
    )
    shared = Collection.objects.get(alias="shared").pk
    checked = granted = redacted = 0
    for n, user in enumerate(served_matrix["principals"].values()):
        context = principal_context(user)
        client = Taxii(user, secret_for(user))
        for purpose in PURPOSES[n % 2 :: 2]:  # each principal one purpose, alternating: both covered
            response = client.get(f"collections/{shared}/objects/", {"purpose": purpose, "match[version]": "all"})
            assert response.status_code == 200, response.content
            body = response.json()
            assert body["more"] is False
            served = {o["id"]: o for o in body.get("objects", [])}
            for obj in objects:
                decision = decide(context, obj, "export", purpose)
                live = not obj.revoked and (obj.expires_at is None or obj.expires_at > context.now)
                checked += 1
                assert (obj.stix_id in served) == (decision.allowed and live), (user.role, purpose, obj.stix_id)
                if decision.allowed and live:
                    granted += 1
                    sent = served[obj.stix_id]
                    assert TLP2_IDS[obj.tlp] in sent["object_marking_refs"]
                    for name in SENSITIVE:  # ``x_*`` withholds every custom property but the handling ones
                        custom = "x_*" in decision.redactions and name.startswith("x_")
                        withheld = name in decision.redactions or (custom and name not in HANDLING_PROPERTIES)
                        assert (name in sent) == (not withheld), (name, decision.redactions)
                    redacted += bool(decision.redactions)
    assert checked == len(served_matrix["principals"]) * len(objects)
    assert granted and redacted and granted < checked
