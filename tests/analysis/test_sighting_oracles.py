"""Sightings confirm nothing: reporting a value the reporter may not see answers exactly as
reporting a made-up one, and nothing it can read afterwards (the sighting, its list, observable
ids, scores) tells the two apart; the originator still gets the feedback."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import Observable, StixObject
from tests.analysis.conftest import domain, share
from tests.factories import UserFactory, make_agreement
from tests.ids import pid, row
from tests.stix_samples import bundle, indicator

SIGHTINGS = "/api/v1/sightings/"
GREEN = [TLP2_IDS["green"]]
STRICT = [TLP2_IDS["amber+strict"]]

HIDDEN_EMAIL = "mule.ops@lure-mail.info"  # in an object Kestrel sees, withheld by a redaction
STRICT_DOMAIN = "strict-only-lure.info"  # in an AMBER+STRICT object Kestrel may not see
MADE_UP = {HIDDEN_EMAIL: "pay.desk@lure-mail.info", STRICT_DOMAIN: "never-shared-lure.info"}
KINDS = {HIDDEN_EMAIL: "email", STRICT_DOMAIN: "domain"}
EMAIL_INDICATOR = indicator(
    1,
    f"[email-addr:value = '{HIDDEN_EMAIL}']",
    object_marking_refs=GREEN,
    x_accord_data_category="personal_data",
    x_accord_data_subject="suspect",
)
STRICT_INDICATOR = indicator(2, domain(STRICT_DOMAIN), object_marking_refs=STRICT)


@pytest.fixture
def bank(partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any, api_for: Any) -> Any:
    """The bank (other_partner) shares an e-mail address its agreement redacts on onward sharing
    and an AMBER+STRICT domain; Kestrel (partner) reports sightings."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner, onward_redactions=["personal_data"])
    banker = UserFactory(username="banker", organisation=other_partner, role="partner_contributor")
    share(api_for(banker), EMAIL_INDICATOR, STRICT_INDICATOR)
    return banker


def _report(client: Any, value: str) -> Any:
    return client.post(
        SIGHTINGS,
        {
            "type": KINDS.get(value, "email" if "@" in value else "domain"),
            "value": value,
            "seen_at": "2026-05-01T10:00:00Z",
            "last_seen": "2026-05-02T10:00:00Z",
            "count": 3,
            "country": "GB",
            "note": "Seen in our mail gateway",
        },
        format="json",
    )


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    """A sighting as returned, but for what differs between any two: its id, value, creation."""
    return {k: v for k, v in row.items() if k not in ("id", "value", "created_at")}


@pytest.mark.parametrize("hidden", [HIDDEN_EMAIL, STRICT_DOMAIN])
def test_reporting_a_hidden_value_answers_as_reporting_a_made_up_one(api_for, bank, hidden):
    reporter = api_for("partner_contributor")
    seen, made_up = _report(reporter, hidden), _report(reporter, MADE_UP[hidden])
    assert seen.status_code == made_up.status_code == 201
    assert _shape(seen.json()) == _shape(made_up.json())
    assert (seen.json()["value"], made_up.json()["value"]) == (hidden, MADE_UP[hidden])
    listed = {row["value"]: row for row in reporter.get(SIGHTINGS).json()["results"]}
    assert set(listed) == {hidden, MADE_UP[hidden]}
    assert _shape(listed[hidden]) == _shape(listed[MADE_UP[hidden]])
    by_value = reporter.get(SIGHTINGS, {"value": hidden}).json()
    assert [_shape(r) for r in by_value["results"]] == [
        _shape(r) for r in reporter.get(SIGHTINGS, {"value": MADE_UP[hidden]}).json()["results"]
    ]


def _next_observable_id(api_for: Any, reporter: Any, n: int) -> int:
    """What a partner learns of the observable ids handed out: share a fresh value of its own
    and read that value's id in its observables list."""
    fresh = f"fresh-{n}-kestrel.info"
    share(api_for(reporter), indicator(100 + n, domain(fresh)))
    found = api_for(reporter).get("/api/v1/observables/", {"value": fresh}).json()["results"]
    return row(found[0]["id"])  # the row behind it: no gap there either


@pytest.mark.parametrize("hidden", [HIDDEN_EMAIL, STRICT_DOMAIN])
def test_the_observable_ids_after_a_sighting_do_not_tell_whether_the_value_existed(api_for, bank, people, hidden):
    """The probe: ids handed out before and after a sighting; a sighting that created an
    observable for a new value would leave a gap that one of a stored value does not."""
    kestrel = people["partner_contributor"]
    reporter = api_for(kestrel)
    gaps = []
    for n, value in enumerate((hidden, MADE_UP[hidden])):
        before = _next_observable_id(api_for, kestrel, 2 * n)
        assert _report(reporter, value).status_code == 201
        gaps.append(_next_observable_id(api_for, kestrel, 2 * n + 1) - before)
    assert gaps[0] == gaps[1]


def test_a_sighting_opens_nothing_of_the_observable_behind_it(api_for, bank):
    """The score of a stored observable the reporter may not see stays a 404 after it reports
    that value, exactly as before."""
    reporter = api_for("partner_contributor")
    url = f"/api/v1/scores/{pid(Observable.objects.get(value=STRICT_DOMAIN))}/"
    before = reporter.get(url)
    assert _report(reporter, STRICT_DOMAIN).status_code == 201
    after = reporter.get(url)
    assert (after.status_code, after.json()) == (before.status_code, before.json())
    assert before.status_code == 404


def test_the_originator_gets_the_feedback_now_and_for_values_it_shares_later(api_for, bank):
    reporter = api_for("partner_contributor")
    assert _report(reporter, HIDDEN_EMAIL).status_code == 201
    later = "shared-later-lure.info"
    assert _report(reporter, later).status_code == 201
    feedback = api_for(bank).get(SIGHTINGS).json()["results"]
    assert [(s["value"], s["organisation"], s["count"]) for s in feedback] == [(HIDDEN_EMAIL, "Kestrel Threat Labs", 3)]
    share(api_for(bank), indicator(9, domain(later), object_marking_refs=GREEN))
    feedback = api_for(bank).get(SIGHTINGS, {"value": later}).json()["results"]
    assert [(s["value"], s["organisation"]) for s in feedback] == [(later, "Kestrel Threat Labs")]


def _stix_sighting(n: int, target: str) -> dict[str, Any]:
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": f"sighting--00000000-0000-4000-8000-{n:012}",
        "created": "2026-05-02T00:00:00.000Z",
        "modified": "2026-05-02T00:00:00.000Z",
        "sighting_of_ref": target,
        "count": 2,
        "object_marking_refs": GREEN,
    }


def test_a_stix_sighting_of_a_hidden_object_shows_its_sender_nothing(api_for, bank, people):
    """Kestrel shares STIX sightings of the AMBER+STRICT indicator, of the e-mail indicator (whose
    value is withheld from it) and of an indicator that does not exist: its sightings show no
    value from either, exactly as for the made-up one."""
    reporter = api_for("partner_contributor")
    upload = io.BytesIO(
        bundle(
            _stix_sighting(1, STRICT_INDICATOR["id"]),
            _stix_sighting(2, EMAIL_INDICATOR["id"]),
            _stix_sighting(3, indicator(999, "")["id"]),
        )
    )
    upload.name = "sightings.json"
    assert reporter.post("/api/v1/submissions/", {"file": upload}, format="multipart").status_code == 201
    assert reporter.get(SIGHTINGS).json() == {"count": 0, "next": None, "previous": None, "results": []}
    # A sighting of what the sender sees is feedback as before.
    share(api_for(bank), indicator(7, domain("visible-lure.info"), object_marking_refs=GREEN))
    share(reporter, _stix_sighting(4, indicator(7, "")["id"]))
    assert [s["value"] for s in reporter.get(SIGHTINGS).json()["results"]] == ["visible-lure.info"]
    assert [s["value"] for s in api_for(bank).get(SIGHTINGS).json()["results"]] == ["visible-lure.info"]


def test_a_sighting_of_a_hidden_value_outlives_the_purge_of_its_objects(api_for, bank):
    """When the only object mentioning a hidden value ends its retention and is purged, the
    reporter's sighting of it stays, as its sighting of a made-up value does."""
    reporter = api_for("partner_contributor")
    assert _report(reporter, STRICT_DOMAIN).status_code == 201
    assert _report(reporter, MADE_UP[STRICT_DOMAIN]).status_code == 201
    StixObject.objects.filter(stix_id=STRICT_INDICATOR["id"]).update(expires_at=timezone.now() - timedelta(days=1))
    call_command("retention", "purge", stdout=io.StringIO())
    assert not Observable.objects.filter(value=STRICT_DOMAIN).exists()
    listed = {row["value"] for row in reporter.get(SIGHTINGS).json()["results"]}
    assert listed == {STRICT_DOMAIN, MADE_UP[STRICT_DOMAIN]}
