"""The campaign graph's expansion, the trends as time series with their tables, and finding a
value pasted as it comes (defanged)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import StixObject
from tests.analysis.conftest import CAMPAIGNS, MULE_IP, PHISH, domain, ip, share
from tests.ids import pid
from tests.stix_samples import indicator

LONE_IP = "198.51.100.77"


def _graph(client, campaign, **query):
    return client.get(f"{CAMPAIGNS}{campaign.pk}/graph/", query)


def _node(graph, label):
    return next(n["id"] for n in graph["nodes"] if n["label"] == label)


def test_expanding_an_object_adds_the_values_it_mentions_beyond_the_campaign(api_for, workbench):
    share(api_for(workbench["kestrel"]), indicator(9, f"{domain(PHISH)} OR {ip(LONE_IP)}", name="Kit mirror"))
    analyst = api_for("analyst")
    graph = _graph(analyst, workbench["phishing"]).json()
    assert LONE_IP not in {n["label"] for n in graph["nodes"]}  # mentioned once: it joins nothing
    mirror = _node(graph, "Kit mirror")
    expanded = _graph(analyst, workbench["phishing"], expand=mirror).json()
    assert expanded["expanded"] == mirror
    assert {n["label"] for n in expanded["nodes"]} == {PHISH, LONE_IP}
    assert all(e["source"] == mirror for e in expanded["edges"])


def test_expanding_an_observable_adds_the_objects_the_reader_may_see_that_mention_it(api_for, workbench):
    strict = [TLP2_IDS["amber+strict"]]
    lure = indicator(8, domain(PHISH), name="Atlas strict lure", object_marking_refs=strict)
    share(api_for(workbench["banker"]), lure)
    analyst_graph = _graph(api_for("analyst"), workbench["phishing"]).json()
    phish = _node(analyst_graph, PHISH)
    for_host = _graph(api_for("analyst"), workbench["phishing"], expand=phish).json()
    assert "Atlas strict lure" in {n["label"] for n in for_host["nodes"]}
    assert all(e["target"] == phish for e in for_host["edges"])
    # Kestrel may not see the AMBER+STRICT object: it is not among the neighbours it is given
    reader = api_for("partner_reader")
    mine = reader.get(CAMPAIGNS).json()["results"][0]["id"]
    reader_graph = reader.get(f"{CAMPAIGNS}{mine}/graph/").json()
    phish_for_reader = _node(reader_graph, PHISH)
    for_reader = reader.get(f"{CAMPAIGNS}{mine}/graph/", {"expand": phish_for_reader}).json()
    labels = {n["label"] for n in for_reader["nodes"]}
    assert "Kestrel phishing kit" in labels and "Atlas strict lure" not in labels


def test_a_node_that_is_not_one_is_a_400_and_one_not_seen_a_404(api_for, workbench):
    analyst = api_for("analyst")
    bad = _graph(analyst, workbench["phishing"], expand="campaign:12")
    assert bad.status_code == 400 and "expand" in bad.json()["error"]["message"]
    hidden = StixObject.objects.create(
        stix_id="indicator--00000000-0000-4000-8000-0000000000ff",
        type="indicator",
        created="2026-01-01T00:00:00Z",
        modified="2026-01-01T00:00:00Z",
        organisation=workbench["banker"].organisation,
        tlp="red",
        data_category="technical_indicator",
    )
    reader = api_for("partner_reader")
    mine = reader.get(CAMPAIGNS).json()["results"][0]["id"]
    missing = reader.get(f"{CAMPAIGNS}{mine}/graph/", {"expand": f"object:{pid(hidden)}"})
    nowhere = reader.get(f"{CAMPAIGNS}{mine}/graph/", {"expand": f"object:{pid(10**9)}"})
    assert missing.status_code == nowhere.status_code == 404


def test_trends_carry_a_time_series_and_its_tables(client, people, workbench):
    client.force_login(people["analyst"])
    page = client.get("/analysis/trends/").content.decode()
    data = json.loads(re.search(r'<script id="trends-data" type="application/json">(.*?)</script>', page, re.S)[1])
    assert len(data["months"]) == 12 and data["months"] == sorted(data["months"])
    assert len(data["campaigns"]) == len(data["months"]) and sum(data["campaigns"]) == 2
    assert {row["region"] for row in data["rows"]} == {"Europe", "Middle East & North Africa"}  # in words
    assert sum(row["count"] for row in data["rows"]) == 7
    assert "vendor/chartjs/chart.umd.min.js" in page and 'id="chart-crime"' in page
    table = re.search(r'data-testid="table-region">(.*?)</details>', page, re.S)[1]
    assert "<th>Europe</th>" in table and "<th>Middle East &amp; North Africa</th>" in table
    (month,) = {row["month"] for row in data["rows"]}
    words = f"{datetime.strptime(month, '%Y-%m').replace(tzinfo=UTC):%b %Y}"  # months in words in the tables
    month_row = re.search(rf"<tr><td>{words}</td>((?:<td>\d+</td>)+)</tr>", table)
    assert month_row is not None and sum(map(int, re.findall(r"\d+", month_row[1]))) == 7


def test_finding_a_defanged_value_reads_it_and_links_what_the_reader_may_see(client, people, workbench):
    client.force_login(people["analyst"])
    page = client.get("/analysis/search/", {"q": f"hxxp://{PHISH.replace('.', '[.]')}/login"}).content.decode()
    rows = re.findall(r"<tr><td>(\w+)</td><td><code>([^<]+)</code></td>\s*<td>(.*?)</td></tr>", page, re.S)
    found = {(kind, value): "search-hit" in cell for kind, value, cell in rows}
    assert found == {("url", f"http://{PHISH}/login"): False, ("domain", PHISH): True}
    client.force_login(people["partner_reader"])
    mule = client.get("/analysis/search/", {"q": f"paid via {MULE_IP}"}).content.decode()
    assert 'data-testid="search-hit"' in mule
    assert "nothing you may see" in client.get("/analysis/search/", {"q": "203.0.113.250"}).content.decode()
