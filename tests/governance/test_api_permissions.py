"""Every governance endpoint: who may call it, and each list's query count stays fixed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accord.governance import services
from tests.factories import OrganisationFactory
from tests.governance.conftest import API


@pytest.fixture
def one_of_each(groups, heads, people, host, kenya, settings):
    """A meeting, recommendation, practice, edition, paper, session and registration."""
    manager = people["programme_manager"]
    services.membership_add(actor=manager, group=groups["africa"], person=heads["kenya"], term_start=date(2025, 1, 1))
    start = timezone.now() + timedelta(days=5)
    meeting = services.meeting_schedule(
        actor=manager,
        title="M",
        groups=[groups["africa"]],
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        city="Nairobi",
        country="KE",
    )
    recommendation = services.recommendation_create(
        actor=manager, meeting=meeting, group=groups["africa"], title="R", area="strategy"
    )
    services.practice_create(actor=manager, group=groups["global"], title="P", topic="other", body="b", tlp="clear")
    second = OrganisationFactory(name="Second", kind="law_enforcement", sector="", country="FR")
    services.conference_configure(actor=manager, first_host=host, second_host=second)
    year = timezone.localdate().year + 1
    edition = services.edition_create(
        actor=manager,
        year=year,
        host=services.expected_host(year),
        theme="T",
        venue="V",
        city="C",
        country="FR",
        start_date=date(year, 9, 1),
        end_date=date(year, 9, 2),
        capacity=10,
        cfp_closes=date(year, 8, 1),
    )
    paper = services.paper_submit(
        actor=people["partner_contributor"],
        edition=edition,
        title="T",
        abstract="A",
        speaker_name="S",
        speaker_sector="private",
    )
    start = timezone.make_aware(timezone.datetime(year, 9, 1, 10))
    services.session_create(
        actor=manager,
        edition=edition,
        title="S",
        kind="talk",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        speakers=[{"name": "N", "sector": "academia"}],
    )
    registration = services.registration_create(
        actor=manager, edition=edition, name="N", email="n@example.org", sector="other", country="FR"
    )
    return {
        "meeting": meeting.pk,
        "recommendation": recommendation.pk,
        "edition": edition.pk,
        "paper": paper.pk,
        "registration": registration.pk,
    }


LISTS = [
    "groups/",
    "memberships/",
    "meetings/",
    "recommendations/",
    "practices/",
    "conference/editions/",
    "conference/papers/",
    "conference/sessions/",
    "conference/registrations/",
]


def test_every_list_pages_with_a_fixed_number_of_queries(api_for, one_of_each, django_assert_max_num_queries):
    api = api_for("programme_manager")
    for path in LISTS:
        with django_assert_max_num_queries(8):
            body = api.get(f"{API}{path}").json()
        assert body["count"] >= 1, path


# Changes programme managers make, as (method, path template, body): partner staff and analysts
# get a 403 before anything is read, an anonymous caller a 401/403.
CHANGES = [
    ("post", "memberships/", {}),
    ("post", "meetings/", {}),
    ("post", "meetings/{meeting}/minutes/", {"minutes": "x"}),
    ("post", "meetings/{meeting}/attendance/", {}),
    ("post", "meetings/{meeting}/invite/", {}),
    ("post", "recommendations/", {}),
    ("post", "recommendations/{recommendation}/transition/", {"to": "adopted"}),
    ("post", "recommendations/{recommendation}/notes/", {"body": "x"}),
    ("post", "recommendations/{recommendation}/action-items/", {"description": "x"}),
    ("put", "conference/hosting/", {}),
    ("post", "conference/editions/", {}),
    ("get", "conference/editions/{edition}/statistics/", None),
    ("post", "conference/papers/{paper}/review/", {"to": "under_review"}),
    ("post", "conference/sessions/", {}),
    ("post", "conference/registrations/{registration}/attended/", {}),
]


def test_only_programme_managers_change_governance(api_for, anon, one_of_each):
    callers = (api_for("partner_contributor"), api_for("analyst"))
    for method, path, body in CHANGES:
        url = API + path.format(**one_of_each)
        for caller in callers:
            response = getattr(caller, method)(url, body, format="json")
            assert response.status_code == 403, (url, response.status_code)
        assert getattr(anon, method)(url, body, format="json").status_code in (401, 403), url
