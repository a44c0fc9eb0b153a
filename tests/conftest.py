"""Shared fixtures: a host, two partners, one person per role, and API clients with real tokens."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from accord.analysis.benign import forget_local_exclusions
from accord.core.choices import Role
from accord.core.models import Organisation, User
from accord.core.roles import allowed_scopes
from accord.core.services import token_issue
from tests.browser import browser, page  # noqa: F401  (fixtures for the browser tests)
from tests.factories import HostFactory, OrganisationFactory, UserFactory

# Property tests judge answers, never speed: no per-example deadline, no "too slow" health check
# (both are wall-clock limits, which a loaded machine fails).
settings.register_profile("accord", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("accord")

HOST_ROLES = (Role.ADMIN, Role.PROGRAMME_MANAGER, Role.ANALYST, Role.AUDITOR)
PARTNER_ROLES = (Role.PARTNER_CONTRIBUTOR, Role.PARTNER_READER)


@pytest.fixture(scope="session", autouse=True)
def _tasks_run_at_once() -> Iterator[None]:
    """Background tasks run at once where they are queued (within the test's transaction), unless
    ``ACCORD_TASK_BACKEND`` names a backend. Accord queues them in the database for ``accord
    worker``; the tests that start real processes (``accord serve``, ``accord worker``) run so."""
    if "ACCORD_TASK_BACKEND" in os.environ:
        yield
        return
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}):
        yield


@pytest.fixture(scope="session", autouse=True)
def _live_folder_per_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test process (pytest-xdist worker) has a database of its own, so it has a live folder
    of its own too: ingest heartbeats and progress are keyed by submission id, and ids of two
    databases collide (another worker's beating submission 1 would make this one's look alive)."""
    live = tmp_path_factory.mktemp("live")
    caches = {**django_settings.CACHES, "live": {**django_settings.CACHES["live"], "LOCATION": str(live)}}
    with override_settings(CACHES=caches, ACCORD_LIVE_DIR=live, ACCORD_RATE_COUNTERS_DIR=live / "rates"):
        yield


@pytest.fixture(autouse=True)
def _fresh_local_exclusions() -> None:
    """Each test starts without a compiled copy of the local exclusion lists: the previous test's
    database was rolled back under it (the copy lives a few seconds in a process)."""
    forget_local_exclusions()


@pytest.fixture
def host(db: Any) -> Organisation:
    return HostFactory()


@pytest.fixture
def partner(db: Any) -> Organisation:
    return OrganisationFactory(name="Kestrel Threat Labs", country="GB")


@pytest.fixture
def other_partner(db: Any) -> Organisation:
    return OrganisationFactory(name="Atlas Bank Group", country="AE", sector="banking_finance")


@pytest.fixture
def people(host: Organisation, partner: Organisation) -> dict[str, User]:
    """One active person per role: host staff in the host, partner staff in ``partner``."""
    found = {role.value: UserFactory(username=role.value, role=role, organisation=host) for role in HOST_ROLES}
    found |= {role.value: UserFactory(username=role.value, role=role, organisation=partner) for role in PARTNER_ROLES}
    found["admin"].is_staff = found["admin"].is_superuser = True
    found["admin"].save()
    return found


@pytest.fixture
def api_for(people: dict[str, User]) -> Callable[..., APIClient]:
    """An API client authenticated by a real Bearer token of ``role`` (or of a given user)."""

    def make(who: str | User, scopes: tuple[str, ...] = ("read", "write")) -> APIClient:
        user = people[who] if isinstance(who, str) else who
        granted = [s for s in scopes if s in allowed_scopes(user.role)]  # read-only roles get no write
        issued = token_issue(actor=None, user=user, name="test", scopes=granted)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        return client

    return make


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2's deliberate slowness is for attackers, not for the test suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters live in the database cache and outlast transactional tests; the
    # tests of the limit itself lower it and use an address of their own.
    settings.ACCORD_APPLICATION_RATE = "1000/hour"


@pytest.fixture(autouse=True)
def _second_factor_not_required(settings: Any) -> None:
    """Tests that are not about the second factor sign administrators in with the password alone
    (``force_login``, the login page): no role must enrol an authenticator. Everything else of
    the second factor stays on (whoever has a confirmed authenticator is asked for its code), and
    the second factor's own tests set the requirement back with the ``totp_required`` fixture."""
    settings.ACCORD_TOTP_REQUIRED_ROLES = []


@pytest.fixture(autouse=True)
def _request_rates_unlimited(settings: Any) -> None:
    """The suite sends thousands of requests a minute from one address: tests that are not
    about the API's request rates run without them (tests/core/test_request_rates.py sets them)."""
    settings.ACCORD_API_RATE_PER_TOKEN = ""
    settings.ACCORD_API_RATE_PER_ADDRESS = ""


@pytest.fixture(autouse=True)
def _taxii_sql_checked(settings: Any) -> None:
    """Every TAXII read compares its compiled SQL with the same read built afresh
    (accord.taxii.compiled): a compiled statement kept under the wrong key would fail the test."""
    settings.ACCORD_TAXII_SQL_CHECK = True


@pytest.fixture
def totp_required(settings: Any) -> list[str]:
    """The shipped requirement: administrators must sign in with a second factor."""
    import accord.settings

    settings.ACCORD_TOTP_REQUIRED_ROLES = list(accord.settings.ACCORD_TOTP_REQUIRED_ROLES)
    return settings.ACCORD_TOTP_REQUIRED_ROLES


def pytest_report_header(config: Any) -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"accord database: {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('HOST') or ''}".rstrip()
