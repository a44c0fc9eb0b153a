"""Enrichment tells nobody what the policy withholds from them (issue 15, "no side channels").

- A partner's tool is sent a value only if its provider may receive, as an export, an object
  that mentions it: an object the provider may not have is, for its tool, as if absent.
- A partner reading results sees exactly what it would see if the objects hidden from it did
  not exist: no hidden submission, no TLP counted over hidden objects, no result older than
  what it may see.
- Reading results that name a phone number or an e-mail address is logged as a consultation of
  personal data; other reads write nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from accord.core.choices import DataCategory, OrganisationKind, Role
from accord.core.models import AuditEvent, Organisation, User
from accord.enrichment.models import Enricher
from accord.formats.markings import TLP2_IDS
from accord.sharing.models import Observable, StixObject
from tests.analysis.conftest import share as share_stix
from tests.enrichment.conftest import DOMAIN, PHONE, PartnerService, share
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.ids import pid
from tests.ids import row as row_of
from tests.stix_samples import indicator

HIDDEN_DOMAIN = "pay-portal.mule-desk.info"
LE_ONLY_DOMAIN = "telco-le-only.example.org"
REDACTED_EMAIL = "cash.out@mule-desk.info"


def _csv(*rows: tuple[str, str, str]) -> bytes:
    return ("type,value,tlp\n" + "".join(f"{kind},{value},{tlp}\n" for kind, value, tlp in rows)).encode()


def _contributor(name: str, country: str, **terms: Any) -> User:
    """A partner sharing under an agreement with ``terms``, and one contributor of it."""
    organisation: Organisation = OrganisationFactory(name=name, country=country, sector="telecom")
    make_agreement(organisation, **terms)
    return UserFactory(organisation=organisation, role=Role.PARTNER_CONTRIBUTOR)


@contextmanager
def _undone() -> Iterator[None]:
    """What happens inside is rolled back: the next world starts from the same store."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# -- 1. what goes to a partner's tool --------------------------------------------------------------


def test_a_partner_tool_is_sent_only_what_its_provider_may_receive(
    api_for, banker, offline, kestrel_http, partner_service: PartnerService, django_capture_on_commit_callbacks
):
    """Kestrel's sandbox runs on ingest (ceiling GREEN). A telecom shares a GREEN domain for law
    enforcement only, and a partner whose agreement withholds personal data shares a GREEN
    e-mail address: Kestrel may receive neither, so its tool gets neither, on ingest or when an
    analyst asks; it gets the bank's domain, as if the other two were absent."""
    Enricher.objects.filter(pk=kestrel_http.pk).update(run_on_ingest=True, types=["domain", "email"])
    telco = _contributor(
        "Savanna Telecom",
        "KE",
        onward_kinds=[OrganisationKind.LAW_ENFORCEMENT, OrganisationKind.INTERNATIONAL_ORG],
    )
    redacting = _contributor("Harbour Mobile", "NL", onward_redactions=[DataCategory.PERSONAL_DATA])
    pattern = f"[email-addr:value = '{REDACTED_EMAIL}']"
    personal = indicator(
        51,
        pattern,
        x_accord_data_category="personal_data",
        x_accord_data_subject="suspect",
        object_marking_refs=[TLP2_IDS["green"]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        share(api_for, telco, _csv(("domain", LE_ONLY_DOMAIN, "green")), "telco.csv")
        share_stix(api_for(redacting), personal)
        share(api_for, banker, _csv(("domain", DOMAIN, "green")), "bank.csv")
    assert [r["body"]["value"] for r in partner_service.received] == [DOMAIN]

    analyst = api_for("analyst")
    for value in (LE_ONLY_DOMAIN, REDACTED_EMAIL):
        observable = Observable.objects.get(value=value)
        refused = analyst.post(
            f"/api/v1/observables/{pid(observable)}/enrichments/", {"enricher": "kestrel-sandbox"}, format="json"
        )
        assert refused.status_code == 403, refused.json()
        assert "Nothing was sent" in refused.json()["error"]["message"]
    assert [r["body"]["value"] for r in partner_service.received] == [DOMAIN]
    # The host's own tools run inside the platform: the host holds every value.
    le_only = Observable.objects.get(value=LE_ONLY_DOMAIN)
    ran = analyst.post(
        f"/api/v1/observables/{pid(le_only)}/enrichments/", {"enricher": "domain-offline"}, format="json"
    )
    assert ran.status_code == 201 and ran.json()["tlp_sent"] == "green"


def test_the_ceiling_still_caps_what_the_provider_may_receive(api_for, banker, kestrel_http, partner_service):
    """An AMBER object addressed to Kestrel is Kestrel's to receive, but above its tool's GREEN
    ceiling: nothing is sent."""
    share(api_for, banker, _csv(("domain", HIDDEN_DOMAIN, "amber")), "amber.csv")
    StixObject.objects.get(observables__value=HIDDEN_DOMAIN).addressed_to.add(kestrel_http.organisation)
    observable = Observable.objects.get(value=HIDDEN_DOMAIN)
    refused = api_for("analyst").post(
        f"/api/v1/observables/{pid(observable)}/enrichments/", {"enricher": "kestrel-sandbox"}, format="json"
    )
    assert refused.status_code == 403
    assert "TLP:AMBER, above kestrel-sandbox's ceiling TLP:GREEN" in refused.json()["error"]["message"]
    assert partner_service.received == []


# -- 2. what a partner reads of results ------------------------------------------------------------

VOLATILE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}|\d+ ms")


def _reader_view(client: Client, reader_api: Any, value: str, own: int, since: datetime) -> dict[str, Any]:
    """Everything the reader is shown of the results on ``value``: the API rows (ids, times and
    durations aside, its own submission ``own`` named as such; none older than ``since``, when
    it could first see the value) and the page's results section."""
    observable = reader_api.get("/api/v1/observables/", {"value": value}).json()["results"][0]

    def rows(response: Any) -> list[dict[str, Any]]:
        found = []
        for row in response.json()["results"]:
            assert datetime.fromisoformat(row["created_at"]) >= since, row
            found.append(
                {k: v for k, v in row.items() if k not in {"id", "observable", "created_at", "duration_ms"}}
                | {"submission": "own" if row["submission"] == own else row["submission"]}
            )
        return found

    page = client.get(f"/observables/{observable['id']}/enrichments/").content.decode()
    section = page[page.index("<h2>Results</h2>") :]
    return {
        "observable": rows(reader_api.get(f"/api/v1/observables/{observable['id']}/enrichments/")),
        "list": rows(reader_api.get("/api/v1/enrichments/", {"observable": observable["id"]})),
        "page": VOLATILE.sub("T", section[: section.index("</section>")]),
    }


@pytest.mark.parametrize("hidden", ["ingested before", "ingested after", "enriched by an analyst before"])
def test_results_show_a_partner_nothing_of_objects_hidden_from_it(
    api_for, banker, offline, people, client, hidden, django_capture_on_commit_callbacks
):
    """The host's domain tool runs on ingest. The bank shares an AMBER domain Kestrel may not
    see (before or after Kestrel shares it as GREEN, or an analyst enriches it before); Kestrel's
    reader sees the same results, provenance and page as if the AMBER object did not exist."""
    Enricher.objects.filter(pk=offline["domain"].pk).update(run_on_ingest=True)
    client.force_login(people["partner_reader"])
    reader_api = api_for("partner_reader")
    analyst = api_for("analyst")

    def hide() -> None:
        share(api_for, banker, _csv(("domain", HIDDEN_DOMAIN, "amber")), "amber.csv")
        if hidden == "enriched by an analyst before":
            observable = Observable.objects.get(value=HIDDEN_DOMAIN)
            ran = analyst.post(
                f"/api/v1/observables/{pid(observable)}/enrichments/", {"enricher": "domain-offline"}, format="json"
            )
            assert ran.status_code == 201

    views = {}
    for world in ("without", "with"):
        with _undone():
            if world == "with" and hidden != "ingested after":
                with django_capture_on_commit_callbacks(execute=True):
                    hide()
            with django_capture_on_commit_callbacks(execute=True):
                own = share(api_for, people["partner_contributor"], _csv(("domain", HIDDEN_DOMAIN, "green")))["id"]
            if world == "with" and hidden == "ingested after":
                with django_capture_on_commit_callbacks(execute=True):
                    hide()
            since = StixObject.objects.get(submission_id=row_of(own)).added_at
            views[world] = _reader_view(client, reader_api, HIDDEN_DOMAIN, own, since)
    assert views["with"] == views["without"]
    assert views["without"]["observable"][0]["submission"] == "own"  # its own submission is named
    assert views["without"]["observable"][0]["tlp_sent"] is None  # counted over what it may not see


def test_which_values_a_network_tool_takes_under_its_limit_ignores_hidden_submissions(
    api_for, banker, people, kestrel_http, settings, django_capture_on_commit_callbacks
):
    """Kestrel's sandbox runs on ingest, limited to one value per submission. Kestrel shares two
    domains; which one its tool looks up (and Kestrel's reader then sees a result for) is the
    same whether or not a hidden AMBER object named the second one earlier."""
    settings.ACCORD_ENRICH_INGEST_NETWORK_LIMIT = 1
    Enricher.objects.filter(pk=kestrel_http.pk).update(run_on_ingest=True)
    first, second = "a-drop.mule-desk.info", "b-drop.mule-desk.info"
    reader_api = api_for("partner_reader")
    seen = {}
    for world in ("without", "with"):
        with _undone():
            if world == "with":
                with django_capture_on_commit_callbacks(execute=True):
                    share(api_for, banker, _csv(("domain", second, "amber")), "amber.csv")
            rows = (("domain", first, "green"), ("domain", second, "green"))
            with django_capture_on_commit_callbacks(execute=True):
                share(api_for, people["partner_contributor"], _csv(*rows))
            results = reader_api.get("/api/v1/enrichments/", {"enricher": "kestrel-sandbox"}).json()["results"]
            seen[world] = [r["observable_value"] for r in results]
    assert seen["with"] == seen["without"] == [first]


# -- 3. reads of personal data are logged ------------------------------------------------------------


def test_reading_results_on_a_phone_number_is_logged_as_a_consultation(api_for, shared, people):
    """Results name their observable: a phone number's are logged when read, a domain's are not."""
    analyst = api_for("analyst")
    for value, enricher in ((PHONE, "phone-offline"), (DOMAIN, "domain-offline")):
        observable = Observable.objects.get(value=value)
        ran = analyst.post(f"/api/v1/observables/{pid(observable)}/enrichments/", {"enricher": enricher}, format="json")
        assert ran.status_code == 201
    reader = people["partner_reader"]
    api = api_for(reader)
    phone, domain = Observable.objects.get(value=PHONE), Observable.objects.get(value=DOMAIN)
    phone_result = api.get(f"/api/v1/observables/{pid(phone)}/enrichments/").json()["results"][0]["id"]
    reads: list[tuple[str, Callable[[], Any], list[int]]] = [
        ("phone results", lambda: api.get(f"/api/v1/observables/{pid(phone)}/enrichments/"), [phone.pk]),
        ("domain results", lambda: api.get(f"/api/v1/observables/{pid(domain)}/enrichments/"), []),
        ("every result", lambda: api.get("/api/v1/enrichments/"), [phone.pk]),
        ("domain filter", lambda: api.get("/api/v1/enrichments/", {"observable": domain.pk}), []),
        ("one result", lambda: api.get(f"/api/v1/enrichments/{phone_result}/"), [phone.pk]),
    ]
    for label, read, expected in reads:
        before = AuditEvent.objects.filter(action="personal_data.consulted", actor=reader).count()
        response = read()
        assert response.status_code == 200, label
        events = list(AuditEvent.objects.filter(action="personal_data.consulted", actor=reader).order_by("seq"))[
            before:
        ]
        logged = [value for event in events for value in event.details.get("observables", [])]
        assert logged == expected, label
        assert all(event.details["via"] == "api" for event in events), label
