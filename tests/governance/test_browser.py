"""In a real browser: a programme manager schedules a regional meeting, records a
recommendation at it and follows it through to implemented, through the UI alone."""

from __future__ import annotations

from accord.governance.models import Meeting, Recommendation
from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD

pytestmark = browser_marks


def test_schedule_a_regional_meeting_and_implement_a_recommendation(page, live_server, people, groups):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "programme_manager")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click("nav >> text=Governance")
    page.click("text=Regional Working Group for Heads of Cybercrime Units: Africa")

    page.click("summary:has-text('Schedule a meeting')")
    page.fill("#id_title", "Heads of units: Africa, 13th meeting")
    page.fill("#id_starts_at", "2031-03-10T09:00")
    page.fill("#id_ends_at", "2031-03-10T17:00")
    page.fill("#id_city", "Accra")
    page.select_option("#id_country", "GH")
    page.fill("#id_themes", "business email compromise\nmule accounts")
    page.fill("#id_agenda", "Opening\nCountry updates\nJoint operations")
    page.click("button:has-text('Schedule meeting')")
    assert page.inner_text("[data-testid=meeting-title]") == "Heads of units: Africa, 13th meeting"
    meeting = Meeting.objects.get()
    assert [g.region for g in meeting.groups.all()] == ["africa"] and meeting.agenda[1] == "Country updates"

    page.select_option("#id_group", str(groups["africa"].pk))
    page.fill("#id_title", "Set up a regional BEC reporting channel")
    page.select_option("#id_area", "operational")
    page.fill("#id_due_date", "2031-09-30")
    page.click("button:has-text('Record recommendation')")
    recommendation = Recommendation.objects.get()
    status = f"[data-testid=recommendation-status-{recommendation.pk}]"
    assert page.inner_text(status) == "Proposed"

    for step, shown in (("adopted", "Adopted"), ("in_progress", "In progress"), ("implemented", "Implemented")):
        page.click(f"[data-testid=move-{recommendation.pk}-{step}]")
        page.wait_for_selector(f"{status}:has-text('{shown}')")
    recommendation.refresh_from_db()
    assert recommendation.status == "implemented"
    assert [n.status for n in recommendation.notes.all()] == ["adopted", "in_progress", "implemented"]
    assert not page.query_selector(f"[data-testid^=move-{recommendation.pk}-]")  # nothing after implemented
