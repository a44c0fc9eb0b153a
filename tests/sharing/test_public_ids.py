"""Ids of shared data as a partner meets them (API, pages, CLI): nothing of how many rows other
organisations stored between two of its own can be computed from them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accord.analysis.models import Sighting
from accord.enrichment.models import Enrichment
from accord.enrichment.services import enricher_add
from accord.sharing.models import Observable, StixObject, Submission
from tests.factories import UserFactory, make_agreement
from tests.ids import pid, row
from tests.sharing.test_ingest import post

SUBMISSIONS = "/api/v1/submissions/"


@pytest.fixture
def atlas(partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any) -> Any:
    """Kestrel (``partner``) and Atlas share under agreements in force; Atlas's contributor."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner)
    return UserFactory(username="atlas", organisation=other_partner, role="partner_contributor")


def _csv(prefix: str, count: int) -> bytes:
    return ("type,value\n" + "".join(f"domain,{prefix}-{n}.example\n" for n in range(count))).encode()


def _ordered(values: list[int]) -> bool:
    return values in (sorted(values), sorted(values, reverse=True))


def test_the_ids_a_partner_reads_are_a_permutation_of_the_rows_not_the_rows(api_for, atlas):
    """Kestrel shares eight files, Atlas stores TLP:AMBER+STRICT data Kestrel may not see between
    some of them. Every id Kestrel reads (submissions, objects, observables) is no row number, and
    in the order the rows were stored they rise and fall at random; each names its row back."""
    kestrel, other = api_for("partner_contributor"), api_for(atlas)
    public = []
    for n in range(8):
        shared = post(kestrel, _csv(f"kestrel{n}", 3), name=f"k{n}.csv", format="csv")
        assert shared.status_code == 201, shared.content
        public.append(shared.json()["id"])
        if n % 3 == 1:  # others' hidden rows between some of Kestrel's
            hidden = post(other, _csv(f"atlas{n}", 5), name=f"a{n}.csv", format="csv", tlp="amber%2Bstrict")
            assert hidden.status_code == 201, hidden.content
    rows = list(Submission.objects.filter(organisation__name="Kestrel Threat Labs").order_by("pk").values_list("pk"))
    assert [row(p) for p in public] == [r for (r,) in rows]
    assert not set(public) & {r for (r,) in rows}
    assert not _ordered(public)

    listed = kestrel.get(SUBMISSIONS).json()["results"]
    assert {s["id"] for s in listed} == set(public)
    objects = kestrel.get("/api/v1/objects/", {"page_size": 100}).json()["results"]
    assert len(objects) == 24 and all(StixObject.objects.get(pk=row(o["id"])).stix_id == o["stix_id"] for o in objects)
    assert not _ordered([o["id"] for o in sorted(objects, key=lambda o: row(o["id"]))])
    observables = kestrel.get("/api/v1/observables/", {"page_size": 100}).json()["results"]
    assert len(observables) == 24
    assert all(Observable.objects.get(pk=row(o["id"])).value == o["value"] for o in observables)
    assert not _ordered([o["id"] for o in sorted(observables, key=lambda o: row(o["id"]))])

    stored = kestrel.get("/api/v1/objects/", {"submission": public[2]}).json()["results"]
    assert sorted(o["stix_id"] for o in stored) == sorted(
        StixObject.objects.filter(submission_id=row(public[2])).values_list("stix_id", flat=True)
    )
    assert kestrel.get(f"{SUBMISSIONS}{public[2]}/").json()["id"] == public[2]
    assert kestrel.get(f"{SUBMISSIONS}{public[2]}/refused/").status_code == 200


def test_a_row_number_or_an_altered_id_is_a_plain_404(api_for, atlas):
    """Addresses take public ids only: the row id of one's own submission, or its public id with
    a digit changed, answer exactly as an id that names nothing, the id echoed as typed."""
    kestrel = api_for("partner_contributor")
    public = post(kestrel, _csv("kestrel", 2), name="k.csv", format="csv").json()["id"]
    own = Submission.objects.get()
    altered = str(public)[:-1] + str((int(str(public)[-1]) + 1) % 10)

    def answer(typed: str) -> tuple[int, str]:
        response = kestrel.get(f"{SUBMISSIONS}{typed}/")
        return response.status_code, re.sub(rf"\b{typed}\b", "<id>", response.content.decode())

    assert answer(str(public))[0] == 200
    missing = answer("987654")
    assert missing[0] == 404 and "<id>" in missing[1]
    for typed in (str(own.pk), altered, str(2**53), "0", "abc"):
        assert answer(typed) == missing, typed
    web = Client()
    web.force_login(own.submitted_by)
    assert web.get(f"/submissions/{public}/").status_code == 200
    assert web.get(f"/submissions/{own.pk}/").status_code == web.get(f"/submissions/{altered}/").status_code == 404


def test_pages_and_the_cli_show_public_ids(api_for, atlas, people, tmp_path, capsys):
    """The submission pages name and link a submission by its public id; so does ``accord import``."""
    path = tmp_path / "feed.csv"
    path.write_bytes(_csv("cli", 2))
    call_command("import", str(path), "--org", "Kestrel Threat Labs")
    submission = Submission.objects.get()
    out = capsys.readouterr().out
    assert f"Submission {pid(submission)} done" in out and f" {submission.pk} " not in out
    web = Client()
    web.force_login(people["partner_contributor"])
    listing = web.get("/submissions/").content.decode()
    assert f'href="/submissions/{pid(submission)}/"' in listing and f">{pid(submission)}<" in listing
    page = web.get(f"/submissions/{pid(submission)}/").content.decode()
    assert f"Submission {pid(submission)}" in page and f"?submission={pid(submission)}" in page


def test_sightings_and_enrichments_go_out_by_public_id(api_for, atlas, people, host):
    """A sighting and an enrichment result: their ids and the observable an enrichment is about."""
    enricher_add(actor=None, name="domain-offline", kind="domain", organisation=host, tlp_ceiling="red")
    kestrel = api_for("partner_contributor")
    post(kestrel, _csv("seen", 1), name="s.csv", format="csv")
    observable = Observable.objects.get()
    sighting = kestrel.post("/api/v1/sightings/", {"type": "domain", "value": observable.value}, format="json")
    assert sighting.status_code == 201, sighting.content
    assert row(sighting.json()["id"]) == Sighting.objects.get().pk != sighting.json()["id"]
    analyst = api_for("analyst")
    url = f"/api/v1/observables/{pid(observable)}/enrichments/"
    ran = analyst.post(url, {"enricher": "domain-offline"}, format="json")
    assert ran.status_code == 201, ran.content
    result = Enrichment.objects.get()
    assert (row(ran.json()["id"]), ran.json()["observable"]) == (result.pk, pid(observable))
    assert analyst.get(f"/api/v1/enrichments/{ran.json()['id']}/").json()["id"] == ran.json()["id"]
    assert analyst.get("/api/v1/enrichments/", {"observable": pid(observable)}).json()["count"] == 1
    assert analyst.get("/api/v1/enrichments/", {"observable": observable.pk}).json()["count"] == 0
    post(api_for(atlas), _csv("seen", 1), name="s.csv", format="csv")  # a second source: it correlates
    detail = analyst.get(f"/api/v1/correlations/{pid(observable)}/")
    assert detail.status_code == 200 and detail.json()["observable_id"] == pid(observable)
    listed = analyst.get("/api/v1/correlations/").json()["results"]
    assert [c["observable_id"] for c in listed] == [pid(observable)]
    assert [c["observable_id"] for c in analyst.get("/api/v1/trends/").json()["top_correlated"]] == [pid(observable)]
