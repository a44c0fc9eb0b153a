"""The governance pages: each renders what its reader may see, lists filter and page, and a
refused change shows the rule instead of storing anything."""

from __future__ import annotations

from accord.governance.models import Recommendation
from tests.governance.conftest import login


def test_group_page_shows_members_calendar_and_board_with_overdue(setting, people, groups):
    page = login(people["programme_manager"]).get(f"/governance/groups/{groups['africa'].slug}/").content.decode()
    assert "Chair" in page and "Africa spring session" in page
    assert "1 overdue" in page and 'data-testid="move-' in page
    observers = login(people["programme_manager"]).get(f"/governance/groups/{groups['africa'].slug}/?role=observer")
    assert "No members match." in observers.content.decode()


def test_meeting_page_renders_minutes_safely_and_hides_from_outsiders(setting, people, heads):
    url = f"/governance/meetings/{setting['meeting'].pk}/"
    page = login(heads["kenya"]).get(url).content.decode()
    assert "<strong>Agreed</strong>" in page and "<img src=x" not in page and "&lt;img" in page
    assert 'data-testid="recommendation-form"' not in page  # members read; managers record
    assert login(heads["france"]).get(url).status_code == 404


def test_a_refused_move_shows_the_rule_and_changes_nothing(setting, people):
    client = login(people["programme_manager"])
    late = setting["late"]
    response = client.post(f"/governance/recommendations/{late.pk}/transition/", {"to": "implemented"}, follow=True)
    assert "cannot go to implemented" in response.content.decode()
    assert Recommendation.objects.get(pk=late.pk).status == "proposed"


def test_followup_list_filters_by_region_and_overdue(setting, people):
    client = login(people["programme_manager"])
    assert (
        "Regional BEC reporting channel"
        in client.get("/governance/recommendations/?region=africa&overdue=true").content.decode()
    )
    assert (
        "Regional BEC reporting channel"
        not in client.get("/governance/recommendations/?region=europe").content.decode()
    )


def test_conference_pages(setting, people):
    year = setting["edition"].year
    client = login(people["programme_manager"])
    assert f">{year}<" in client.get("/governance/conference/").content.decode()
    assert f">{year}<" not in client.get(f"/governance/conference/?year={year - 5}").content.decode()
    page = client.get(f"/governance/conference/{year}/").content.decode()
    assert "Attendance statistics" in page and "Law enforcement" in page
    reader = login(people["partner_reader"]).get(f"/governance/conference/{year}/").content.decode()
    assert "Attendance statistics" not in reader and "Kevin" not in reader


def test_library_and_lists_render(setting, people):
    client = login(people["programme_manager"])
    for url in (
        "/governance/",
        "/governance/meetings/?country=KE",
        "/governance/practices/?q=x",
    ):
        assert client.get(url).status_code == 200, url


def test_a_member_added_from_the_group_page_and_one_refused(setting, people, groups, heads):
    client = login(people["programme_manager"])
    url = f"/governance/groups/{groups['europe'].slug}/"
    body = {
        "op": "member",
        "member-person": heads["kenya"].pk,
        "member-role": "member",
        "member-term_start": "2026-01-01",
    }
    refused = client.post(url, body, follow=True).content.decode()
    assert "is in Africa, not in Europe" in refused
    body["member-person"] = heads["france"].pk
    assert "Member added." in client.post(url, body, follow=True).content.decode()
    assert groups["europe"].memberships.get().person == heads["france"]
