"""One answer for missing and hidden: for every kind of thing whose existence depends on the
policy, a reader gets the same status, body and message for an id it may not see as for an id
that does not exist (or is no id at all), the id it typed echoed and nothing else — through the
API, the web pages, TAXII and the CLI."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from accord.analysis.models import Campaign, IntelReport
from accord.formats.markings import TLP2_IDS
from accord.partners.models import Agreement
from accord.partners.services import agreement_suspend
from accord.sharing.models import Observable, StixObject, Submission
from accord.taxii.models import Collection, Status
from accord.taxii.services import collections_sync
from tests.factories import UserFactory, make_agreement
from tests.ids import pid
from tests.stix_samples import indicator
from tests.taxii.conftest import Taxii, secret_for

STRICT = [TLP2_IDS["amber+strict"]]
GREEN = [TLP2_IDS["green"]]
MULE_IP = "194.147.78.10"
MISSING_NUMBER = "987654"
OUT_OF_DOMAIN = str(2**53)  # no public id: the permutation's domain ends below it
NOT_CANONICAL = "0987654"
MISSING_STIX = "indicator--11111111-1111-4111-8111-111111111111"
NOT_A_NUMBER = "abc"


def _answer(response: Any, typed: str) -> tuple[int, str, str]:
    """What a reader sees of a response: status, media type, and body with the id it typed
    replaced by a placeholder (a whole token only: an id "4" leaves "404" alone, an id "1" the
    layout's "initial-scale=1"), and the CSRF token too."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # The bell's unread count is the reader's own, the same in both: an id "0" must not mask it.
    text = re.sub(r"Notifications: \d+ unread|data-testid=\"unread-count\">\d+<", "<bell>", body.decode())
    text = re.sub(rf"(?<![\w=-]){re.escape(typed)}(?![\w-])", "<id>", text)
    # A page's CSRF token is masked afresh in every response: random, and the same for both.
    text = re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[A-Za-z0-9]+', r"\1<csrf>", text)
    return response.status_code, response.get("Content-Type", ""), text


@pytest.fixture
def world(api_for: Any, partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """Kestrel shares through its TAXII inbox two TLP:AMBER+STRICT indicators of one IP (a
    campaign, a correlation, an observable Atlas may not know) and a TLP:GREEN one; an analyst
    disseminates a report to Kestrel alone. Atlas, a partner with an agreement in force, reads."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner)
    collections_sync()
    kestrel = people["partner_contributor"]
    inbox = Collection.objects.get(kind="inbox", organisation=partner)
    hidden = [indicator(n, f"[ipv4-addr:value = '{MULE_IP}']", object_marking_refs=STRICT) for n in (1, 2)]
    green = indicator(3, "[domain-name:value = 'kestrel-update.xyz']", object_marking_refs=GREEN)
    posted = Taxii(kestrel, secret_for(kestrel)).post(
        f"collections/{inbox.pk}/objects/", orjson.dumps({"objects": [*hidden, green]})
    )
    assert posted.status_code == 202 and posted.json()["success_count"] == 3, posted.content
    analyst = api_for("analyst")
    report = analyst.post(
        "/api/v1/reports/",
        {
            "title": "Kestrel only",
            "summary": "For Kestrel.",
            "tlp": "green",
            "audience": "organisations",
            "audience_organisations": [partner.pk],
            "objects": [green["id"]],
        },  # fmt: skip
        format="json",
    ).json()
    assert analyst.post(f"/api/v1/reports/{report['id']}/disseminate/").status_code == 200
    atlas = UserFactory(username="atlas", organisation=other_partner, role="partner_reader")
    web = Client()
    web.force_login(atlas)
    return {
        "api": api_for(atlas),
        "web": web,
        "taxii": Taxii(atlas, secret_for(atlas)),
        "stix": hidden[0]["id"],
        "object": str(pid(StixObject.objects.get(stix_id=hidden[0]["id"]))),
        "visible": green["id"],
        "observable": str(pid(Observable.objects.get(value=MULE_IP))),
        "campaign": str(Campaign.objects.get().pk),
        "report": str(report["id"]),
        "report_stix": IntelReport.objects.get(pk=report["id"]).stix_id,
        "submission": str(pid(Submission.objects.get(organisation=partner))),
        "status": str(Status.objects.get().pk),
        "inbox": str(inbox.pk),
        "shared": str(Collection.objects.get(alias="shared").pk),
    }


def _altered(public: str) -> str:
    """A public id with its last digit changed: it names some other row, or none."""
    return public[:-1] + str((int(public[-1]) + 1) % 10)


def _same(get: Any, path: str, hidden: str, *missing: str) -> None:
    """``path`` with a hidden id answers as with each missing one."""
    seen = _answer(get(path.format(hidden)), hidden)
    assert seen[0] == 404, seen
    for other in missing:
        assert _answer(get(path.format(other)), other) == seen, (path, other)


NUMBERED_API = [
    ("/api/v1/correlations/{}/", "observable"),
    ("/api/v1/scores/{}/", "observable"),
    ("/api/v1/observables/{}/enrichments/", "observable"),
    ("/api/v1/campaigns/{}/", "campaign"),
    ("/api/v1/campaigns/{}/graph/", "campaign"),
    ("/api/v1/reports/{}/", "report"),
    ("/api/v1/reports/{}/bundle/", "report"),
    ("/api/v1/submissions/{}/", "submission"),
    ("/api/v1/objects/{}/", "object"),
    ("/api/v1/policy/explain/?object={}", "object"),
]


@pytest.mark.parametrize(("path", "kind"), NUMBERED_API, ids=[p for p, _ in NUMBERED_API])
def test_the_api_answers_a_hidden_id_as_a_missing_one(world, path, kind):
    """Status, media type and JSON body alike, for a missing number, for no number at all, and
    for a public id altered, out of its domain or not written as one."""
    others = (MISSING_NUMBER, NOT_A_NUMBER, "²")
    if kind in ("observable", "submission", "object"):
        others += (_altered(world[kind]), OUT_OF_DOMAIN, NOT_CANONICAL, "0")
    _same(world["api"].get, path, world[kind], *others)


@pytest.mark.parametrize("path", ["/api/v1/objects/{}/", "/api/v1/policy/explain/?object={}"])
def test_the_api_answers_a_hidden_stix_id_as_a_missing_one(world, path):
    _same(world["api"].get, path, world["stix"], MISSING_STIX, NOT_A_NUMBER)
    assert world["api"].get(path.format(world["visible"])).status_code == 200  # Atlas reads what it may


WEB = [
    ("/shared/{}/", "stix"),
    ("/shared/{}/", "object"),
    ("/analysis/correlations/{}/", "observable"),
    ("/observables/{}/enrichments/", "observable"),
    ("/analysis/campaigns/{}/", "campaign"),
    ("/analysis/reports/{}/", "report"),
    ("/analysis/reports/{}/print/", "report"),
    ("/submissions/{}/", "submission"),
]


@pytest.mark.parametrize(("path", "kind"), WEB, ids=[f"{p}:{k}" for p, k in WEB])
def test_the_pages_answer_a_hidden_id_as_a_missing_one(world, path, kind):
    """The same 404 page, word for word."""
    missing = MISSING_STIX if kind == "stix" else MISSING_NUMBER
    others = (_altered(world[kind]), OUT_OF_DOMAIN, "0") if kind in ("observable", "submission", "object") else ()
    _same(world["web"].get, path, world[kind], missing, NOT_A_NUMBER, *others)


def test_taxii_answers_a_hidden_object_collection_or_status_as_a_missing_one(world):
    """Object by id, its versions, the manifest and objects filtered by id, another organisation's
    inbox, another organisation's status: as for ids that do not exist."""
    taxii, shared = world["taxii"].get, world["shared"]
    for path in ("collections/{}/objects/{{}}/", "collections/{}/objects/{{}}/versions/"):
        _same(taxii, path.format(shared), world["stix"], MISSING_STIX, NOT_A_NUMBER)
    for path in ("collections/{}/manifest/", "collections/{}/objects/"):
        hidden = taxii(path.format(shared), {"match[id]": world["stix"]})
        missing = taxii(path.format(shared), {"match[id]": MISSING_STIX})
        empty = (200, b'{"more":false}')
        assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content) == empty
    assert taxii(f"collections/{shared}/objects/{world['visible']}/").status_code == 200
    _same(taxii, "collections/{}/", world["inbox"], str(uuid.uuid4()), "inbox-nowhere")
    _same(taxii, "collections/{}/objects/", world["inbox"], str(uuid.uuid4()), "inbox-nowhere")
    _same(taxii, "status/{}/", world["status"], str(uuid.uuid4()), NOT_A_NUMBER)


def test_the_cli_exports_the_contents_of_a_hidden_report_as_of_a_missing_one(world):
    """``accord export --contents-of``: a report Atlas may not see names nothing, as one that
    does not exist."""

    def export(stix_id: str) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command("export", "--format", "stix", "--as", "atlas", "--contents-of", stix_id, stdout=out, stderr=err)
        text = re.sub(r"bundle--[0-9a-f-]{36}", "bundle--<random>", out.getvalue()).replace(stix_id, "<id>")
        return text, re.sub(r"in [0-9.]+ s", "in <time>", err.getvalue())

    assert export(world["report_stix"]) == export(f"report--{uuid.uuid4()}")


def test_a_report_the_readers_agreement_no_longer_covers_answers_as_a_missing_one(
    api_for, partner, other_partner, people, settings, tmp_path
):
    """A report disseminated to Atlas whose agreement is then suspended: the report, its bundle
    (API) and its pages answer as those of a report that does not exist, not with a reason or an
    error, and the list no longer shows its title and summary (policy rule 1)."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    agreement: Agreement = make_agreement(other_partner)
    atlas = UserFactory(username="atlas", organisation=other_partner, role="partner_reader")
    green = indicator(3, "[domain-name:value = 'kestrel-update.xyz']", object_marking_refs=GREEN)
    upload = io.BytesIO(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [green]}))
    upload.name = "green.json"
    submitted = api_for("partner_contributor").post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert submitted.status_code == 201, submitted.content
    analyst = api_for("analyst")
    report = analyst.post(
        "/api/v1/reports/",
        {
            "title": "For Atlas",
            "summary": "Atlas's.",
            "tlp": "green",
            "audience": "organisations",
            "audience_organisations": [other_partner.pk],
            "objects": [green["id"]],
        },  # fmt: skip
        format="json",
    ).json()
    assert analyst.post(f"/api/v1/reports/{report['id']}/disseminate/").status_code == 200
    api = api_for(atlas)
    assert api.get(f"/api/v1/reports/{report['id']}/bundle/").status_code == 200
    agreement_suspend(actor=people["programme_manager"], agreement=agreement, reason="Audit finding.")
    _same(api.get, "/api/v1/reports/{}/bundle/", str(report["id"]), MISSING_NUMBER, NOT_A_NUMBER)
    _same(api.get, "/api/v1/reports/{}/", str(report["id"]), MISSING_NUMBER, NOT_A_NUMBER)
    assert api.get("/api/v1/reports/").json()["count"] == 0  # nor its title and summary in the list
    web = Client()
    web.force_login(atlas)
    _same(web.get, "/analysis/reports/{}/print/", str(report["id"]), MISSING_NUMBER)
    _same(web.get, "/analysis/reports/{}/", str(report["id"]), MISSING_NUMBER)
