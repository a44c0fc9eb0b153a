"""Every operations endpoint that changes something: only programme managers may call it; the
list pages with a fixed number of queries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accord.operations import services
from tests.operations.conftest import API


@pytest.fixture
def operation(people, kenya):
    return services.operation_create(
        actor=people["programme_manager"], name="Op", crime_types=["other"], lead=kenya, start_date=timezone.localdate()
    )


def test_the_list_pages_with_a_fixed_number_of_queries(api_for, operation, django_assert_max_num_queries):
    api = api_for("programme_manager")
    with django_assert_max_num_queries(8):
        body = api.get(f"{API}operations/").json()
    assert body["count"] == 1


# Changes programme managers make, as (method, path template, body): partner staff and analysts
# get a 403 before anything is read, an anonymous caller a 401/403.
CHANGES = [
    ("post", "operations/", {}),
    ("post", "operations/{operation}/participants/", {"participants": []}),
    ("post", "operations/{operation}/transition/", {"to": "active"}),
    ("post", "operations/{operation}/phases/", {}),
    ("post", "operations/{operation}/outcomes/", {"date": "2030-01-01", "arrests": 1}),
]


def test_only_programme_managers_change_operations(api_for, anon, operation):
    callers = (api_for("partner_contributor"), api_for("analyst"))
    for method, path, body in CHANGES:
        url = API + path.format(operation=operation.pk)
        for caller in callers:
            response = getattr(caller, method)(url, body, format="json")
            assert response.status_code == 403, (url, response.status_code)
        assert getattr(anon, method)(url, body, format="json").status_code in (401, 403), url
