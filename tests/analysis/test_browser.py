"""In a real browser: an analyst opens a campaign, sees its graph drawn, names it, opens trends."""

from __future__ import annotations

import re

from accord.analysis.models import Campaign
from accord.analysis.taxonomy import europol_label
from accord.core.choices import Region
from accord.sharing.models import StixObject
from tests.analysis.conftest import PHISH, domain, ip, share
from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD
from tests.ids import pid
from tests.stix_samples import indicator

LONE_IP = "198.51.100.77"

pytestmark = browser_marks


def test_an_analyst_works_a_campaign_in_the_browser(page, live_server, workbench):
    campaign = workbench["phishing"]
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click("nav >> text=Analysis")
    page.wait_for_selector("h1:has-text('Correlations')")
    page.click("text=Campaigns")
    page.click(f"[data-testid=campaign-{campaign.pk}] a")
    page.wait_for_selector("#campaign-graph g.node-object")
    assert page.locator("#campaign-graph g.node-object").count() == 3
    assert page.locator("#campaign-graph g.node-observable").count() == 2
    assert page.locator("#campaign-graph line").count() == 4
    assert "3 objects, 2 linking observables" in page.inner_text("#campaign-graph-status")
    assert page.locator("#campaign-graph g.node-object circle[fill='#33ff00']").count() == 2  # TLP:GREEN

    page.fill("#id_name", "Operation Kestrel Lure")
    page.click("button:has-text('Save')")
    page.wait_for_selector("[data-testid=campaign-name]:has-text('Operation Kestrel Lure')")
    assert Campaign.objects.get(pk=campaign.pk).named

    page.click("text=Trends")
    page.wait_for_selector("h1:has-text('Trends')")
    # the time series, drawn by Chart.js from the page's figures: months on the axis, a stack per crime type
    # Polled from here: wait_for_function compiles its predicate in the page, which the CSP forbids.
    for _ in range(150):
        if page.evaluate("Boolean(window.Chart && Chart.getChart('chart-crime'))"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the trends chart was never drawn")
    months = page.evaluate("Chart.getChart('chart-crime').data.labels.length")
    assert months == 12  # the last twelve months, this one included
    total = "Chart.getChart('chart-crime').data.datasets.reduce((s, d) => s + d.data.reduce((a, b) => a + b, 0), 0)"
    assert page.evaluate(total) == 7
    page.select_option("[data-testid=chart-region]", "Europe")  # Kestrel's objects only
    assert page.evaluate(total) == 3
    page.click("[data-testid=table-region] summary")
    assert page.locator("[data-testid=table-region] th:has-text('Middle East & North Africa')").is_visible()


def test_an_analyst_pastes_a_defanged_url_into_search_and_opens_its_campaign_graph(
    page, live_server, workbench, api_for
):
    """From a value pasted as it came in a report to the campaign it belongs to: the graph zooms
    and expands a node's neighbours beyond the campaign."""
    share(api_for(workbench["kestrel"]), indicator(9, f"{domain(PHISH)} OR {ip(LONE_IP)}", name="Kit mirror"))
    mirror = StixObject.objects.get(stix_id__endswith="000000000009")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=Analysis")
    page.fill("[data-testid=value-search]", f"hxxp://{PHISH.replace('.', '[.]')}/login")
    page.click("form[role=search] button")
    page.click("[data-testid=search-hit]")
    page.click(f"[data-testid=campaigns] a:has-text('{workbench['phishing'].name}')")
    page.wait_for_selector("#campaign-graph g.node-object")
    graph = page.locator("#campaign-graph")
    assert graph.get_attribute("data-zoom") == "1.00"
    page.click("[data-graph=zoom-in]")
    assert float(graph.get_attribute("data-zoom")) > 1
    page.click("[data-graph=fit]")
    assert graph.get_attribute("data-zoom") == "1.00"
    before = page.locator("#campaign-graph g.node").count()
    assert page.locator(f"#campaign-graph g.node-observable:has-text('{LONE_IP}')").count() == 0
    page.click(f"#campaign-graph g[data-id='object:{pid(mirror)}'] circle")
    page.wait_for_selector("[data-testid=graph-details]:has-text('Kit mirror')")
    page.click("[data-testid=graph-details] [data-graph=expand]")
    page.wait_for_selector("#campaign-graph[data-expanded='1']")
    assert page.locator(f"#campaign-graph g.node-observable:has-text('{LONE_IP}')").count() == 1
    assert page.locator("#campaign-graph g.node").count() == before + 1
    assert "expanded: 1 new" in page.inner_text("#campaign-graph-status")
    page.select_option("#graph-colour", "organisation")
    assert page.locator("#campaign-graph-legend li:has-text('Kestrel Threat Labs')").count() == 1


def _table_totals(page, selector: str) -> dict[str, int]:
    """A series table's totals per column, read from the page as people see it."""
    heads = page.locator(f"{selector} thead th").all_inner_texts()[1:]
    totals = dict.fromkeys(heads, 0)
    for row in page.locator(f"{selector} tbody tr").all():
        cells = row.locator("td").all_inner_texts()[1:]
        for head, cell in zip(heads, cells, strict=False):
            totals[head] += int(cell)
    return {head: n for head, n in totals.items() if n}


def test_the_month_crime_region_chart_and_its_table_say_what_the_api_says(
    page, live_server, workbench, api_for, people
):
    """One chart of objects per month by crime type, for all regions or one: drawn, labelled in
    words, and its table (the selected region's) gives the numbers the API gives."""
    share(
        api_for(workbench["kestrel"]),
        indicator(11, ip("203.0.113.5"), labels=["ransomware"]),
        indicator(12, ip("203.0.113.6"), labels=["phishing"]),
    )
    share(api_for(workbench["banker"]), indicator(13, domain("lure-login.example.net"), labels=["phishing"]))
    figures = api_for(people["analyst"]).get("/api/v1/trends/").json()["by_crime_region_month"]
    regions = dict(Region.choices)
    expected: dict[str, dict[str, int]] = {"": {}}
    for row in figures:
        crime, region = europol_label(row["crime_type"]), regions[row["region"]]
        for key in ("", region):
            expected.setdefault(key, {})
            expected[key][crime] = expected[key].get(crime, 0) + row["count"]
    assert "Gathering of information: Phishing" in expected["Europe"]  # labels in words, not codes

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/analysis/trends/")
    for _ in range(150):  # polled from here: the CSP refuses wait_for_function's compiled predicate
        if page.evaluate("Boolean(window.Chart && Chart.getChart('chart-crime'))"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the trends chart was never drawn")
    drawn = (
        "Object.fromEntries(Chart.getChart('chart-crime').data.datasets"
        ".map(d => [d.label, d.data.reduce((a, b) => a + b, 0)]))"
    )
    labels = page.evaluate("Chart.getChart('chart-crime').data.labels")
    assert len(labels) == 12 and all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", label) for label in labels)
    for region in ("", "Europe", "Middle East & North Africa"):
        if region:
            page.select_option("[data-testid=chart-region]", region)
        assert page.evaluate(drawn) == expected[region], region
        table = f"[data-crime-table][data-region='{region}']"
        assert page.locator("[data-crime-table]:visible").count() == 1
        page.click(f"{table} summary")
        assert _table_totals(page, table) == expected[region], region
