"""The generated side-channel suite: what the policy withholds changes nothing a reader can observe.

Six organisations (the host, a cybersecurity firm, a bank whose agreement redacts personal data and
financial identifiers on onward sharing, member-country law enforcement, a university with narrow
terms, a telecom operator that shares with law enforcement only) each share a GREEN object
mentioning one common address, so every reader has correlations, a campaign, trends and scores to
look at. Then every organisation shares one object per TLP × data category, mentioning that common
address and values of its own (an address, an e-mail address and phone number, an IBAN, a hash, a
domain, by category), older and newer than everything else and of another crime type.

For each partner as the reader, the policy sorts those objects into the ones it may not see at all
(``hidden``), the ones it sees with fields withheld (``withheld``) and the ones it simply sees
(left out: seeing them is the point). Then, through the HTTP API, the web pages and TAXII, the
reader's view of every filter, aggregate and error is taken

- without the hidden objects and with them: it must be the same (they do not exist for it);
- with the withheld objects holding decoy values and holding the probed values: it must be the
  same (a withheld value behaves exactly like an absent one).

The probes are the values themselves (exact and prefix filters, with the data category; the
observables list and its first/last seen; exports), the aggregates (correlations, campaigns and
their graphs, trends and contributions, scores, the dashboard) and the errors (object, observable,
correlation, score and explain by the hidden objects' and observables' ids).
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from accord.analysis.models import CampaignMember
from accord.core.choices import DataCategory, OrganisationKind, Role, Tlp
from accord.core.models import Organisation, User
from accord.core.services import token_issue
from accord.formats.markings import TLP2_IDS
from accord.policy import decide, may_know_exists, principal_context
from accord.sharing.models import Observable, StixObject
from accord.taxii.api import MEDIA_TYPE
from accord.taxii.services import collections_sync
from tests.factories import HostFactory, OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import bundle

COMMON_IP = "194.147.78.10"  # every organisation's GREEN object mentions it
MARKING = {
    Tlp.CLEAR: TLP2_IDS["clear"],
    Tlp.GREEN: TLP2_IDS["green"],
    Tlp.AMBER: TLP2_IDS["amber"],
    Tlp.AMBER_STRICT: TLP2_IDS["amber+strict"],
    Tlp.RED: TLP2_IDS["red"],
}
ORGANISATIONS = ["host", "kestrel", "atlas", "police", "campus", "telco"]
READERS = ORGANISATIONS[1:]  # host staff keep the full view of aggregates, by design
CATEGORIES = list(DataCategory.values)
TLPS = list(Tlp.values)


def _iban(n: int) -> str:
    """A valid GB IBAN of its own for each ``n`` (ISO 13616 check digits)."""
    bban = f"NWBK601613{n:08}"
    digits = "".join(str(int(c, 36)) for c in bban + "GB00")
    return f"GB{98 - int(digits) % 97:02}{bban}"


@dataclass(frozen=True)
class Candidate:
    """One object an organisation shares at a TLP and data category, and the values it mentions."""

    organisation: str
    tlp: str
    category: str
    n: int

    @property
    def stix_id(self) -> str:
        return f"indicator--5c000000-0000-4000-8000-{self.n:012}"

    def values(self, decoy: bool = False) -> list[tuple[str, str, str]]:
        """(STIX object type, property, value) mentioned besides the common address. A decoy
        replaces the values a redaction withholds (personal data, financial identifiers)."""
        tag = "decoy" if decoy else "probe"
        n = self.n
        if self.category == DataCategory.PERSONAL_DATA:
            return [
                ("email-addr", "value", f"{tag}{n}.mule@payments-{tag}.example"),
                ("x-accord-phone-number", "number", f"+447911{2 if decoy else 1}{n:05}"),
            ]
        if self.category == DataCategory.FINANCIAL_IDENTIFIER:
            return [("x-accord-bank-account", "iban", _iban(n + (500_000 if decoy else 0)))]
        if self.category == DataCategory.MALWARE_SAMPLE:
            return [("file", "hashes.'SHA-256'", f"{n:064x}")]
        if self.category == DataCategory.INCIDENT_REPORT:
            return [("domain-name", "value", f"incident-{n}.hidden-campaign.info")]
        return [("ipv4-addr", "value", f"185.220.{n // 250}.{n % 250 + 1}")]

    def body(self, decoy: bool = False, common: bool = True) -> dict[str, Any]:
        """The object; ``common``: mentioning the address every organisation shares (an object the
        reader sees with fields withheld must leave it out: its arrival moves that address's last
        sighting in the reader's eyes, as it should, and would tell the two worlds apart)."""
        comparisons = [f"[ipv4-addr:value = '{COMMON_IP}']"] * common + [
            f"[{kind}:{path} = '{value}']" for kind, path, value in self.values(decoy)
        ]
        body: dict[str, Any] = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": self.stix_id,
            "created": "2019-03-01T00:00:00.000Z",
            "modified": "2026-11-30T00:00:00.000Z",
            "valid_from": "2019-03-01T00:00:00.000Z",
            "pattern": " OR ".join(comparisons),
            "pattern_type": "stix",
            "name": f"Lead {self.n}",
            "description": "Seen together: " + ", ".join(value for _, _, value in self.values(decoy)) + ".",
            "labels": ["ransomware"],
            "x_accord_data_category": self.category,
            "object_marking_refs": [MARKING[self.tlp]],
        }
        if self.category == DataCategory.PERSONAL_DATA:
            body["x_accord_data_subject"] = "suspect"
        return body


NARROW = [DataCategory.TECHNICAL_INDICATOR, DataCategory.INCIDENT_REPORT]  # the university's terms
CANDIDATES = [
    Candidate(organisation, tlp, category, n)
    for n, (organisation, tlp, category) in enumerate(itertools.product(ORGANISATIONS, TLPS, CATEGORIES), start=1)
    if organisation != "campus" or category in NARROW
]


@dataclass
class World:
    organisations: dict[str, Organisation]
    sharers: dict[str, User]
    readers: dict[str, User]
    tokens: dict[str, str] = field(default_factory=dict)


def _share(user: User, secret: str, objects: list[dict[str, Any]]) -> None:
    if not objects:
        return
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    upload = io.BytesIO(bundle(*objects))
    upload.name = "share.json"
    response = client.post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()["error"]["details"]["errors"]
    assert response.json()["status"] == "done", response.json()


@pytest.fixture
def world(db: Any, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    everything = {"tlp_ceiling": Tlp.RED, "default_tlp": Tlp.GREEN}
    organisations = {
        "host": HostFactory(),
        "kestrel": OrganisationFactory(name="Kestrel Threat Labs", country="GB"),
        "atlas": OrganisationFactory(name="Atlas Bank Group", country="AE", sector="banking_finance"),
        "police": OrganisationFactory(
            name="Police Nationale Cyber", country="FR", kind=OrganisationKind.LAW_ENFORCEMENT, sector=""
        ),
        "campus": OrganisationFactory(name="Campus Research Lab", country="US", kind=OrganisationKind.ACADEMIA),
        "telco": OrganisationFactory(name="Savanna Telecom", country="KE", sector="telecom"),
    }
    make_agreement(organisations["host"], **everything)
    make_agreement(organisations["kestrel"], **everything)
    make_agreement(
        organisations["atlas"],
        onward_redactions=[DataCategory.PERSONAL_DATA, DataCategory.FINANCIAL_IDENTIFIER],
        provider_attribution="must-not",
        **everything,
    )
    make_agreement(organisations["police"], **everything)
    make_agreement(
        organisations["campus"],
        tlp_ceiling=Tlp.GREEN,
        data_categories=NARROW,
    )
    make_agreement(
        organisations["telco"],
        onward_kinds=[OrganisationKind.LAW_ENFORCEMENT, OrganisationKind.INTERNATIONAL_ORG],
        onward_redactions=[DataCategory.PERSONAL_DATA],
        **everything,
    )
    sharers = {
        key: UserFactory(
            username=f"{key}-sharer",
            organisation=org,
            role=Role.ANALYST if org.is_host else Role.PARTNER_CONTRIBUTOR,
        )
        for key, org in organisations.items()
    }
    readers = {
        key: UserFactory(username=f"{key}-reader", organisation=organisations[key], role=Role.PARTNER_READER)
        for key in READERS
    }
    found = World(organisations, sharers, readers)
    for key, user in sharers.items():
        found.tokens[f"sharer:{key}"] = token_issue(actor=None, user=user, name="t", scopes=["read", "write"]).secret
    for key, user in readers.items():
        found.tokens[f"reader:{key}"] = token_issue(actor=None, user=user, name="t", scopes=["read", "taxii"]).secret
    collections_sync()
    for n, key in enumerate(ORGANISATIONS, start=1):
        baseline = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--ba5e0000-0000-4000-8000-{n:012}",
            "created": "2026-05-01T12:00:00.000Z",
            "modified": "2026-05-01T12:00:00.000Z",
            "valid_from": "2026-05-01T12:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '{COMMON_IP}'] OR [domain-name:value = 'lure-{key}.phish-kit.info']",
            "pattern_type": "stix",
            "labels": ["phishing"],
            "object_marking_refs": [MARKING[Tlp.GREEN]],
        }
        _share(sharers[key], found.tokens[f"sharer:{key}"], [baseline])
    return found


def _share_candidates(world: World, candidates: list[Candidate], decoy: bool = False, common: bool = True) -> None:
    by_organisation: dict[str, list[dict[str, Any]]] = {}
    for candidate in candidates:
        by_organisation.setdefault(candidate.organisation, []).append(candidate.body(decoy, common))
    for key, objects in by_organisation.items():
        _share(world.sharers[key], world.tokens[f"sharer:{key}"], objects)


@contextmanager
def _undone() -> Iterator[None]:
    """What happens inside is rolled back: the next world starts from the same store."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


_SORTED: dict[str, tuple[list[Candidate], list[Candidate]]] = {}
# Hidden objects a reader may nevertheless know exist (a GREEN object its own agreement's
# categories leave out, say): the explain endpoint tells it why it does not receive them, by
# design (docs/policy.md, "Explain"); it tells nothing of objects outside that.
_KNOWABLE: set[tuple[str, str]] = set()


def _sorted_out(world: World, reader: str) -> tuple[list[Candidate], list[Candidate]]:
    """The candidates ``reader`` may not see at all, and those it sees with fields withheld, as
    the policy decides them once all are stored (the same every time: decided once a run)."""
    if reader not in _SORTED:
        for key in READERS:
            _SORTED[key] = ([], [])
        _sort(world)
    return _SORTED[reader]


def _sort(world: World) -> None:
    with _undone():
        _share_candidates(world, CANDIDATES)
        stored = {
            o.stix_id: o
            for o in StixObject.objects.filter(stix_id__in=[c.stix_id for c in CANDIDATES]).select_related(
                "agreement__current_version__agreement"
            )
        }
        for (reader, user), candidate in itertools.product(world.readers.items(), CANDIDATES):
            if candidate.organisation == reader:
                continue
            decision = decide(principal_context(user), stored[candidate.stix_id])
            if not decision.allowed:
                _SORTED[reader][0].append(candidate)
                if may_know_exists(principal_context(user), stored[candidate.stix_id]):
                    _KNOWABLE.add((reader, candidate.stix_id))
            elif decision.redactions:
                _SORTED[reader][1].append(candidate)


# -- the probes -----------------------------------------------------------------------------------

# When each world was stored and probed: the same objects stored a second later differ only there.
VOLATILE_KEYS = {"added_at", "date_added", "expires_at", "since", "until"}
CLOCK = re.compile(r"\b\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")  # pages show times of day; dates stay
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|csrfToken[^,}]*|"X-CSRFToken": "[^"]*"')


def _normal(data: Any, volatile: frozenset[str] = frozenset(VOLATILE_KEYS)) -> Any:
    """The response as the reader reads it, minus what differs between two identical worlds (the
    time each world's objects were stored)."""
    if isinstance(data, dict):
        return {k: _normal(v, volatile) for k, v in data.items() if k not in volatile}
    if isinstance(data, list):
        return [_normal(v, volatile) for v in data]
    return data


class Probe:
    """The reader's view, gathered through its own token and its own browser session."""

    def __init__(self, world: World, reader: str, volatile: frozenset[str]) -> None:
        self.volatile = volatile
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens[f'reader:{reader}']}")
        self.taxii = Client(headers={"Authorization": f"Bearer {world.tokens[f'reader:{reader}']}"})
        self.web = Client()
        self.web.force_login(world.readers[reader])
        self.view: dict[str, Any] = {}

    def json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.api.get(path, params or {})
        try:
            body = response.json()
        except ValueError:
            body = response.content.decode(errors="replace")
        self.view[f"api {path} {sorted((params or {}).items())}"] = (response.status_code, _normal(body, self.volatile))
        return body

    def page(self, path: str, params: dict[str, Any] | None = None) -> None:
        response = self.web.get(path, params or {})
        text = CLOCK.sub("hh:mm", CSRF.sub("", response.content.decode(errors="replace")))
        self.view[f"page {path} {sorted((params or {}).items())}"] = (response.status_code, text)

    def export(self, export_format: str, params: dict[str, Any]) -> None:
        response = self.api.get(f"/api/v1/exports/{export_format}/", params)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if export_format == "stix" and response.status_code == 200:
            objects = orjson.loads(content).get("objects", [])
            dumped = (orjson.dumps(_normal(o, self.volatile), option=orjson.OPT_SORT_KEYS) for o in objects)
            summary: Any = sorted(d.decode() for d in dumped)
        else:
            summary = content.decode(errors="replace")
        self.view[f"export {export_format} {sorted(params.items())}"] = (response.status_code, summary)

    def taxii_json(self, path: str) -> Any:
        response = self.taxii.get(path, headers={"Accept": MEDIA_TYPE})
        body = response.json() if response.content else None
        self.view[f"taxii {path}"] = (response.status_code, _normal(body, self.volatile))
        return body


def _observe(
    world: World,
    reader: str,
    values: list[str],
    object_ids: list[str],
    observable_ids: list[int],
    volatile: frozenset[str] = frozenset(VOLATILE_KEYS),
) -> dict[str, Any]:
    probe = Probe(world, reader, volatile)
    sensitive = [DataCategory.PERSONAL_DATA, DataCategory.FINANCIAL_IDENTIFIER]
    for value in values:
        probe.json("/api/v1/objects/", {"observable": value})
        probe.json("/api/v1/objects/", {"value_prefix": value[:-1]})
        probe.json("/api/v1/objects/", {"value_prefix": value[:4], "data_category": sensitive})
        probe.json("/api/v1/observables/", {"value_prefix": value[:-1]})
        probe.page("/shared/", {"observable": value})
        probe.export("stix", {"observable": value})
    probe.export("csv", {"value_prefix": values[0][:3]})
    probe.json("/api/v1/objects/", {"page_size": 1000})
    probe.json("/api/v1/observables/", {"page_size": 1000})
    correlations = probe.json("/api/v1/correlations/", {"page_size": 1000})
    for row in correlations.get("results", []):
        probe.json(f"/api/v1/correlations/{row['observable_id']}/")
    campaigns = probe.json("/api/v1/campaigns/", {"page_size": 1000})
    for row in campaigns.get("results", []):
        probe.json(f"/api/v1/campaigns/{row['id']}/")
        probe.json(f"/api/v1/campaigns/{row['id']}/graph/")
    probe.json("/api/v1/trends/")
    own = Observable.objects.filter(value=COMMON_IP).values_list("pk", flat=True).first()
    for pk in [own, *observable_ids]:
        probe.json(f"/api/v1/scores/{pk}/")
        probe.json(f"/api/v1/correlations/{pk}/")
    probe.page(f"/analysis/correlations/{own}/")
    for stix_id in object_ids:
        probe.json(f"/api/v1/objects/{stix_id}/")
        if (reader, stix_id) not in _KNOWABLE:
            probe.json("/api/v1/policy/explain/", {"object": stix_id})
    probe.page(f"/shared/{object_ids[0]}/")
    for path in ("/", "/analysis/", "/analysis/correlations/", "/analysis/campaigns/", "/analysis/trends/"):
        probe.page(path)
    probe.page("/observables/")
    root = "/taxii2/api/"
    collections = probe.taxii_json(root + "collections/")
    for collection in collections.get("collections", []):
        probe.taxii_json(f"{root}collections/{collection['id']}/manifest/")
        probe.taxii_json(f"{root}collections/{collection['id']}/objects/")
    if collections.get("collections"):
        first = collections["collections"][0]["id"]
        for stix_id in object_ids[:3]:
            probe.taxii_json(f"{root}collections/{first}/objects/{stix_id}/")
    return probe.view


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Each probe whose answers differ, shown from a little before the first difference."""
    found = []
    for key, answer in before.items():
        if answer == after.get(key):
            continue
        one, other = repr(answer), repr(after.get(key))
        start = max(0, next((i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b), 0) - 150)
        found.append(f"{key}:\n    without: …{one[start : start + 400]}\n    with:    …{other[start : start + 400]}")
    return found


def _probe_values(candidates: list[Candidate]) -> list[str]:
    return [value for c in candidates for _, _, value in c.values()]


def _sample(candidates: list[Candidate]) -> list[Candidate]:
    """One candidate per TLP and per data category (rotating over the originators): every
    candidate is stored and weighs on the aggregates; these are also probed by value and id."""
    picked: dict[str, Candidate] = {}
    for candidate in candidates:
        picked.setdefault(f"tlp {candidate.tlp}", candidate)
        picked.setdefault(f"category {candidate.category}", candidate)
    return list(dict.fromkeys(picked.values()))


@pytest.mark.parametrize("reader", READERS)
def test_what_the_policy_withholds_changes_nothing_the_reader_can_observe(world: World, reader: str) -> None:
    """Hidden objects are as if absent; withheld values are as if they were other values."""
    hidden, withheld = _sorted_out(world, reader)
    assert hidden, "every reader has objects it may not see"
    problems: list[str] = []

    sample = _sample(hidden)
    values = [*_probe_values(sample), COMMON_IP]
    object_ids = [c.stix_id for c in sample]
    with _undone():
        _share_candidates(world, hidden)
        # The ids the hidden objects gave observables and campaigns are probed in both worlds.
        observable_ids = sorted(Observable.objects.filter(value__in=values[:-1]).values_list("pk", flat=True))
        assert CampaignMember.objects.filter(stix_object__stix_id__in=object_ids).exists()
        with_hidden = _observe(world, reader, values, object_ids, observable_ids)
    without = _observe(world, reader, values, object_ids, observable_ids)
    problems += [f"hidden: {p}" for p in _differences(without, with_hidden)]

    if withheld:
        sample = _sample(withheld)
        values = _probe_values(sample)
        object_ids = [c.stix_id for c in sample]
        views: list[dict[str, Any]] = []
        for decoy in (True, False):
            with _undone():
                _share_candidates(world, withheld, decoy=decoy, common=False)
                # The same objects stored twice take other row numbers where the database's
                # sequences outlive a rollback (PostgreSQL): those are no values.
                views.append(_observe(world, reader, values, object_ids, [], frozenset(VOLATILE_KEYS | {"id"})))
        problems += [f"withheld: {p}" for p in _differences(*views)]
    assert not problems, f"{len(problems)} probes tell {reader} what the policy withholds:\n" + "\n".join(problems[:30])


def test_the_suite_sorts_every_kind_of_object(world: World) -> None:
    """The suite is only as good as its sorting: each reader has hidden objects at every TLP the
    policy keeps from it, and redactions reach the readers whose originators' agreements say so."""
    sorted_out: dict[str, tuple[list[Candidate], list[Candidate]]] = {r: _sorted_out(world, r) for r in READERS}
    kestrel_hidden = {(c.tlp, c.organisation) for c in sorted_out["kestrel"][0]}
    assert {
        (Tlp.RED, "atlas"),
        (Tlp.AMBER_STRICT, "host"),
        (Tlp.AMBER, "police"),
        (Tlp.GREEN, "telco"),
    } <= kestrel_hidden
    assert {c.category for c in sorted_out["kestrel"][1]} == {
        DataCategory.PERSONAL_DATA,
        DataCategory.FINANCIAL_IDENTIFIER,
    }
    campus_hidden = {(c.tlp, c.category) for c in sorted_out["campus"][0] if c.organisation == "kestrel"}
    assert (Tlp.GREEN, DataCategory.PERSONAL_DATA) in campus_hidden  # its terms exclude the category
    police_hidden = {c.tlp for c in sorted_out["police"][0] if c.organisation == "kestrel"}
    assert police_hidden == {Tlp.AMBER_STRICT, Tlp.RED}  # law enforcement holds AMBER
