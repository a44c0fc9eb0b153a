"""The operation pages: the dashboard and the printable report show what their reader may see,
the list filters, and the pages keep the paths they had under governance."""

from __future__ import annotations

from tests.operations.conftest import login


def test_operation_dashboard_and_printable_report(sentinel, people, heads):
    operation = sentinel
    page = login(heads["kenya"]).get(f"/governance/operations/{operation.pk}/").content.decode()
    assert "Operation Sentinel" in page and '<span class="bar-value">7</span>' in page
    report = login(people["programme_manager"]).get(f"/governance/operations/{operation.pk}/report/").content.decode()
    assert "Closing report: Operation Sentinel" in report and '<span class="bar-value">7</span>' in report
    assert "Kenya National Cybercrime Unit (Kenya)" in report
    assert login(heads["france"]).get(f"/governance/operations/{operation.pk}/").status_code == 404


def test_operation_list_renders_and_filters(sentinel, people):
    client = login(people["programme_manager"])
    assert "Sentinel" in client.get("/governance/operations/?status=active").content.decode()
    assert "Sentinel" not in client.get("/governance/operations/?status=closed").content.decode()
