"""``accord governance``: groups, follow-up and the host alternation from the CLI."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accord.governance import services
from tests.factories import OrganisationFactory


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("governance", *args, stdout=out)
    return out.getvalue()


def test_groups_are_seeded_once_and_listed(db):
    assert run("groups").endswith("6 group(s) created.\n")
    listing = run("groups")
    assert "0 group(s) created." in listing and "rwg-asia-south-pacific" in listing and "expert-group" in listing


def test_host_alternation_from_the_cli(db, host):
    second = OrganisationFactory(name="Second Host", short_name="SH", kind="law_enforcement", sector="", country="FR")
    with pytest.raises(CommandError, match="not configured"):
        run("host", "2020")
    assert "every second year" in run("hosts", host.name, "SH", "--first-year", "2013")
    lines = run("host", "2013-2016", "2040").splitlines()
    assert lines == [
        f"2013 {host.name}",
        f"2014 {second.name}",
        f"2015 {host.name}",
        f"2016 {second.name}",
        f"2040 {second.name}",
    ]
    with pytest.raises(CommandError, match="first held in 2013"):
        run("host", "2012")


def test_followup(groups, people):
    manager = people["programme_manager"]
    start = timezone.now() + timedelta(days=1)
    meeting = services.meeting_schedule(
        actor=manager,
        title="S",
        groups=[groups["africa"]],
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        city="Nairobi",
        country="KE",
    )
    services.recommendation_create(
        actor=manager,
        meeting=meeting,
        group=groups["africa"],
        title="Late one",
        area="prevention",
        due_date=timezone.localdate() - timedelta(days=1),
    )
    services.recommendation_create(
        actor=manager, meeting=meeting, group=groups["africa"], title="On time", area="strategy"
    )
    overdue = run("followup", "--region", "africa", "--overdue")
    assert "Late one OVERDUE" in overdue and "On time" not in overdue
    assert "2 recommendation(s)." in run("followup")
