"""Aggregates count only what the asker may see (design, policy rule 5; issue 15, findings 3
and 4): an object a partner may not see changes none of the campaigns, correlations, trends,
contributions, scores, observables' dates or dashboard numbers it can read, through the API or
the pages. Each test reads the partner's whole view without the hidden object and with it, and
asserts they are the same, while host staff's full figures do change."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import StixObject
from tests.analysis.conftest import CAMPAIGNS, CORRELATIONS, MULE_IP, PHISH, domain, ip, observable, share
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.ids import pid
from tests.queries import BOUNDED_READ
from tests.stix_samples import indicator

LONE_IP = "194.147.78.60"  # Kestrel's alone: only the hidden object mentions it too
VALUES = (MULE_IP, PHISH, LONE_IP)
WINDOW = {"since": "2025-01-01", "until": "2028-01-01"}
OBSERVABLES = "/api/v1/observables/"

# Another organisation's object the reader (Kestrel, a private company) may not see, by reason.
HIDDEN = {
    "red naming someone else": {"object_marking_refs": [TLP2_IDS["red"]]},
    "amber+strict": {"object_marking_refs": [TLP2_IDS["amber+strict"]]},
    "amber not addressed to it": {"object_marking_refs": [TLP2_IDS["amber"]]},
    "a category its agreement excludes": {
        "object_marking_refs": [TLP2_IDS["green"]],
        "x_accord_data_category": "incident_report",
    },
}


def hidden_object(reason: str) -> dict[str, Any]:
    """Mentions every value Kestrel reported, with another crime type, earlier and later dates."""
    return indicator(
        9,
        f"{ip(MULE_IP)} OR {domain(PHISH)} OR {ip(LONE_IP)}",
        name="Corvid ransomware relay",
        labels=["ransomware"],
        created="2026-01-02T00:00:00.000Z",
        modified="2026-09-01T00:00:00.000Z",
        **HIDDEN[reason],
    )


@pytest.fixture
def world(api_for, partner, other_partner, people, settings, tmp_path) -> dict[str, Any]:
    """Kestrel (the reader's organisation; its agreement takes no incident reports), Atlas
    (shares TLP:GREEN with everyone) and Corvid (Kenya), which will share the hidden object.
    The organisations, agreements and people exist before anything is shared, in both worlds."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(
        partner, data_categories=["technical_indicator", "financial_identifier", "personal_data", "malware_sample"]
    )
    make_agreement(other_partner)
    corvid = OrganisationFactory(name="Corvid Response", country="KE")
    make_agreement(corvid, tlp_ceiling="red")
    reader = people["partner_reader"]
    pages = Client()
    pages.force_login(reader)
    return {
        "kestrel": api_for("partner_contributor"),
        "atlas": api_for(UserFactory(username="banker", organisation=other_partner, role="partner_contributor")),
        "corvid": api_for(UserFactory(username="corvid", organisation=corvid, role="partner_contributor")),
        "reader": api_for(reader),
        "pages": pages,
        "analyst": api_for("analyst"),
    }


def share_readers_data(world: dict[str, Any]) -> None:
    """Kestrel's objects 1-3 (its own, so it sees them) and Atlas's TLP:GREEN object 4: objects
    1, 2 and 4 form a campaign through the IP and the domain; object 3 is alone."""
    share(
        world["kestrel"],
        indicator(1, f"{ip(MULE_IP)} OR {domain(PHISH)}", name="Kestrel phishing kit", labels=["phishing"]),
        indicator(2, ip(MULE_IP), name="Mule relay", labels=["phishing"]),
        indicator(3, ip(LONE_IP), name="Lone relay", labels=["phishing"]),
    )
    share(
        world["atlas"],
        indicator(4, domain(PHISH), name="Atlas lure", labels=["bec"], object_marking_refs=[TLP2_IDS["green"]]),
    )


def page(client: Client, path: str, params: dict[str, Any] | None = None) -> tuple[int, str]:
    """A page as its reader gets it, less what changes on every request (CSRF token, clock): the
    score's age and decay move with the clock, as `steady` leaves them out of the API's score."""
    response = client.get(path, params or {})
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"', "", body)
    body = re.sub(r"Updated \d\d:\d\d:\d\d", "", body)
    body = re.sub(r"age [\d.]+ days · decay [\d.]+", "", body)
    return response.status_code, body


def got(api: Any, path: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
    response = api.get(path, params or {})
    return response.status_code, response.json()


def steady(score: tuple[int, Any]) -> tuple[int, Any]:
    """A score without what moves with the clock between two readings (age, decay)."""
    status, body = score
    if status != 200:
        return score
    return status, {k: v for k, v in body.items() if k not in {"age_days", "decay"}}


def reader_view(world: dict[str, Any], cutoff: str) -> dict[str, Any]:
    """Every aggregate the reader can ask for, through the API and the pages."""
    api, client = world["reader"], world["pages"]
    view: dict[str, Any] = {
        "campaigns": got(api, CAMPAIGNS),
        "campaigns by crime type": got(api, CAMPAIGNS, {"crime_type": "infection"}),
        "campaigns by region": got(api, CAMPAIGNS, {"region": "africa"}),
        "correlations": got(api, CORRELATIONS),
        "correlations of 3 organisations": got(api, CORRELATIONS, {"min_organisations": 3}),
        "trends": got(api, "/api/v1/trends/", WINDOW),
        "observables": got(api, OBSERVABLES),
        "observables seen before": got(api, OBSERVABLES, {"last_seen_before": cutoff}),
        "campaign page list": page(client, "/analysis/campaigns/"),
        "correlation page list": page(client, "/analysis/correlations/"),
        "trends page": page(client, "/analysis/trends/", WINDOW),
        "observables page": page(client, "/observables/"),
        "dashboard": page(client, "/"),
    }
    for campaign in view["campaigns"][1]["results"]:
        pk = campaign["id"]
        view[f"campaign {pk}"] = got(api, f"{CAMPAIGNS}{pk}/")
        view[f"graph {pk}"] = got(api, f"{CAMPAIGNS}{pk}/graph/")
        view[f"campaign page {pk}"] = page(client, f"/analysis/campaigns/{pk}/")
    for value in VALUES:
        pk = pid(observable(value))
        view[f"correlation {value}"] = got(api, f"{CORRELATIONS}{pk}/")
        view[f"score {value}"] = steady(got(api, f"/api/v1/scores/{pk}/"))
        view[f"correlation page {value}"] = page(client, f"/analysis/correlations/{pk}/")
        view[f"observable page {value}"] = page(client, f"/observables/{pk}/enrichments/")
    return view


def host_view(world: dict[str, Any]) -> dict[str, Any]:
    """The host's full figures: the stored totals of campaigns and correlations, observables' dates."""
    analyst = world["analyst"]
    return {
        "campaigns": [
            {k: c[k] for k in ("objects_count", "organisations_count", "crime_types", "first_seen", "last_seen")}
            for c in analyst.get(CAMPAIGNS).json()["results"]
        ],
        "correlations": [(c["value"], c["object_count"]) for c in analyst.get(CORRELATIONS).json()["results"]],
        "observables": sorted((o["value"], o["last_seen"]) for o in analyst.get(OBSERVABLES).json()["results"]),
    }


def set_aside_others(without: dict[str, Any], with_hidden: dict[str, Any], reason: str) -> None:
    """Leave out of both views the one thing designed to show (rule 5), the same in each."""
    if reason == "a category its agreement excludes":
        # The one thing designed to show (rule 5): a correlation's sources name "others" whose
        # objects the reader may know exist (TLP:GREEN, onward sharing allowed) but not see.
        for value in VALUES:
            status, detail = with_hidden[f"correlation {value}"]
            assert (status, detail["other_sources"], detail["correlates"]) == (200, 1, True)
            with_hidden[f"correlation {value}"] = (
                status,
                detail | {k: without[f"correlation {value}"][1][k] for k in ("other_sources", "correlates")},
            )
            for view in (without, with_hidden):
                status, body = view[f"correlation page {value}"]
                body = re.sub(r'<p data-testid="other-sources">.*?</p>', "", body)
                view[f"correlation page {value}"] = (status, re.sub(r'data-testid="correlates">\w+', "", body))


@pytest.mark.parametrize("reason", list(HIDDEN))
def test_a_hidden_object_changes_nothing_a_partner_can_read(world, reason):
    share_readers_data(world)
    cutoff = timezone.now().isoformat()
    without, host_without = reader_view(world, cutoff), host_view(world)
    assert without["campaigns"][1]["count"] == 1 and without["correlations"][1]["count"] == 1  # the test sees data

    share(world["corvid"], hidden_object(reason))
    with_hidden, host_with = reader_view(world, cutoff), host_view(world)

    set_aside_others(without, with_hidden, reason)
    assert list(with_hidden) == list(without)
    changed = [key for key in without if with_hidden[key] != without[key]]
    assert not changed, f"the hidden object changed: {changed}"
    # Host staff keep the full view: the hidden object is counted there.
    assert host_with != host_without
    assert host_with["campaigns"][0]["objects_count"] == host_without["campaigns"][0]["objects_count"] + 2


def hidden_mention(n: int, reason: str) -> dict[str, Any]:
    """Another object of Corvid's the reader may not see, mentioning every value it reported."""
    return indicator(n, f"{ip(MULE_IP)} OR {domain(PHISH)} OR {ip(LONE_IP)}", labels=["ransomware"], **HIDDEN[reason])


def assert_same_view(without: dict[str, Any], with_hidden: dict[str, Any], reason: str) -> None:
    set_aside_others(without, with_hidden, reason)
    assert list(with_hidden) == list(without)
    changed = [key for key in without if with_hidden[key] != without[key]]
    assert not changed, f"the hidden objects changed: {changed}"


@pytest.mark.parametrize("reason", list(HIDDEN))
def test_a_hidden_object_joins_none_of_a_partners_campaigns(world, reason):
    """Two groups the reader sees, Kestrel's joined by the mule's address and Atlas's by the
    phishing domain, and an object it may not see that mentions both: host staff see one
    campaign, the reader still two, with the same ids, names and figures as before."""
    share(
        world["kestrel"],
        indicator(1, ip(MULE_IP), name="Kestrel mule relay", labels=["phishing"]),
        indicator(2, ip(MULE_IP), name="Mule relay", labels=["phishing"]),
        indicator(3, ip(LONE_IP), name="Lone relay", labels=["phishing"]),
    )
    green = [TLP2_IDS["green"]]
    share(
        world["atlas"],
        indicator(4, domain(PHISH), name="Atlas lure", labels=["bec"], object_marking_refs=green),
        indicator(5, domain(PHISH), name="Atlas lure, again", labels=["bec"], object_marking_refs=green),
    )
    cutoff = timezone.now().isoformat()
    without = reader_view(world, cutoff)
    assert without["campaigns"][1]["count"] == 2
    assert world["analyst"].get(CAMPAIGNS).json()["count"] == 2

    share(world["corvid"], hidden_object(reason))
    with_hidden = reader_view(world, cutoff)

    assert_same_view(without, with_hidden, reason)
    [bridged] = world["analyst"].get(CAMPAIGNS).json()["results"]  # host staff keep the global view
    assert bridged["objects_count"] == 6
    # The control: an object the reader does see, joining the two groups, makes them one for it
    # on its next read (its campaigns are computed again when what they come from changes).
    share(world["atlas"], indicator(7, f"{ip(MULE_IP)} OR {domain(PHISH)}", labels=["bec"], object_marking_refs=green))
    [joined] = world["reader"].get(CAMPAIGNS).json()["results"]
    assert joined["objects_seen"] == 5


@pytest.mark.parametrize("reason", list(HIDDEN))
def test_hidden_objects_push_no_value_over_the_cap_for_a_partner(world, settings, reason):
    """With a cap of three versions, two objects the reader may not see make the mule's address
    and the phishing domain over-correlate: host staff's campaign comes apart, the reader's
    stays as it was, and it is told neither value over-correlates."""
    settings.ACCORD_CORRELATION_CAP = 3
    share_readers_data(world)
    cutoff = timezone.now().isoformat()
    without = reader_view(world, cutoff)
    assert without["campaigns"][1]["count"] == 1

    share(world["corvid"], hidden_mention(9, reason), hidden_mention(10, reason))
    with_hidden = reader_view(world, cutoff)

    for value in (MULE_IP, PHISH):
        assert with_hidden[f"correlation {value}"][1]["over_correlating"] is False
    [campaign] = with_hidden["campaigns"][1]["results"]
    assert campaign["objects_seen"] == 3  # objects 1, 2 and 4, still linked
    assert_same_view(without, with_hidden, reason)
    host = world["analyst"]
    assert host.get(f"{CORRELATIONS}{pid(observable(MULE_IP))}/").json()["over_correlating"] is True
    assert [c["objects_count"] for c in host.get(CAMPAIGNS).json()["results"]] == [3]  # 3, 9 and 10, by LONE_IP


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("reason", list(HIDDEN))
def test_a_hidden_object_shared_first_dates_nothing_a_partner_can_read(world, reason):
    """Shared before everything else, the hidden object is the first mention of the values and
    the first other source: the reader's dates still come from the objects it sees."""
    share(world["corvid"], hidden_object(reason))
    share_readers_data(world)
    reader = world["reader"]
    added = {o["stix_id"]: moment(o["added_at"]) for o in reader.get("/api/v1/objects/").json()["results"]}
    kestrel, atlas = added[indicator(1, "")["id"]], added[indicator(4, "")["id"]]
    hidden_at = StixObject.objects.get(stix_id=indicator(9, "")["id"]).added_at
    assert hidden_at < kestrel < atlas

    seen = {
        o["value"]: (moment(o["first_seen"]), moment(o["last_seen"])) for o in reader.get(OBSERVABLES).json()["results"]
    }
    assert seen == {MULE_IP: (kestrel, kestrel), PHISH: (kestrel, atlas), LONE_IP: (kestrel, kestrel)}
    [correlation] = reader.get(CORRELATIONS).json()["results"]
    assert (correlation["value"], moment(correlation["correlated_at"])) == (PHISH, atlas)  # when Atlas reported it
    [campaign] = reader.get(CAMPAIGNS).json()["results"]
    assert (campaign["objects_seen"], moment(campaign["created_at"])) == (3, kestrel)
    # Host staff read the stored dates, which the hidden object set.
    host = {o["value"]: moment(o["first_seen"]) for o in world["analyst"].get(OBSERVABLES).json()["results"]}
    assert host[MULE_IP] == host[PHISH] == hidden_at


def test_partner_lists_cost_the_same_whatever_their_length(world, django_assert_max_num_queries):
    """The per-reader figures are computed in the list's own query, not once per row."""
    share_readers_data(world)
    share(world["corvid"], hidden_object("amber+strict"))
    for n in range(10, 15):  # five more campaigns of Kestrel's and Atlas's, each joined by a value
        value = f"194.147.79.{n}"
        share(world["kestrel"], indicator(n, ip(value), labels=["phishing"]))
        share(world["atlas"], indicator(100 + n, ip(value), object_marking_refs=[TLP2_IDS["green"]]))
    reader = world["reader"]
    # Fixed costs (the token, the asker, the agreements the policy reads) and the page: none per
    # row. The first read of the campaigns also writes the reader's campaigns, in batches.
    with django_assert_max_num_queries(28 + BOUNDED_READ):
        assert reader.get(CAMPAIGNS).json()["count"] == 6
    # So does the first read of its correlations (kept per reader: analysis.reader_correlations).
    with django_assert_max_num_queries(20 + BOUNDED_READ):
        assert reader.get(CORRELATIONS).json()["count"] == 6
    for path, rows, queries in ((CAMPAIGNS, 6, 12), (CORRELATIONS, 6, 7), (OBSERVABLES, 8, 7)):
        with django_assert_max_num_queries(queries + BOUNDED_READ):
            listed = reader.get(path).json()
        assert listed["count"] == rows, path
    with django_assert_max_num_queries(14 + BOUNDED_READ):
        assert world["pages"].get("/analysis/campaigns/").status_code == 200


def test_a_value_withheld_from_the_reader_joins_and_counts_nothing(world, other_partner):
    """An object the reader sees but whose IBAN its originator's agreement withholds from it
    behaves, for that IBAN, as if it did not mention it: no campaign, no source, no "other"."""
    other_partner.agreements.update(status="terminated")
    make_agreement(other_partner, onward_redactions=["financial_identifier"])
    iban = "GB82WEST12345698765432"
    pattern = f"[x-accord-bank-account:iban = '{iban}']"
    share(world["kestrel"], indicator(1, pattern, name="Mule account"))
    reader, pk = world["reader"], pid(observable(iban))

    def view() -> dict[str, Any]:
        return {
            "campaigns": got(reader, CAMPAIGNS),
            "correlations": got(reader, CORRELATIONS),
            "correlation": got(reader, f"{CORRELATIONS}{pk}/"),
            "score": steady(got(reader, f"/api/v1/scores/{pk}/")),
            "observables": got(reader, OBSERVABLES),
        }

    without = view()
    share(world["atlas"], indicator(4, pattern, name="Atlas mule", object_marking_refs=[TLP2_IDS["green"]]))
    assert reader.get(f"/api/v1/objects/{indicator(4, '')['id']}/").status_code == 200  # it sees the object
    changed = [key for key, value in view().items() if value != without[key]]
    assert not changed, f"the withheld value changed: {changed}"
    assert world["analyst"].get(CAMPAIGNS).json()["count"] == 1  # host staff see the campaign
