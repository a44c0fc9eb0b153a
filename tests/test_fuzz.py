"""The API answers inside its OpenAPI schema: schemathesis generates requests for every operation of
``/api/schema/`` and sends them in-process to the WSGI application, as a platform administrator and
as a partner, against a small scene (two partners under agreements, a shared submission, enrichers,
governance groups). Every answer must be a documented status, a body and a content type the schema
declares, and never a 5xx; requests the schema calls invalid must be refused with a 4xx.

``ACCORD_FUZZ_EXAMPLES`` sets how many generated requests each operation gets (a few in the bounded
run of ``make test``, a hundred in ``make fuzz``); ``ACCORD_FUZZ_SEED`` fixes the generation, so a
bounded run asks the same requests every time and a failure is replayed by its seed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from rest_framework.test import APIClient
from schemathesis import GenerationMode, checks

from accord.core.choices import Role
from accord.core.services import token_issue
from accord.enrichment.services import enricher_add
from accord.governance.services import groups_ensure
from accord.taxii.services import collections_sync
from accord.wsgi import application
from tests.factories import HostFactory, OrganisationFactory, UserFactory, make_agreement

EXAMPLES = int(os.environ.get("ACCORD_FUZZ_EXAMPLES", "3"))
SEED = int(os.environ.get("ACCORD_FUZZ_SEED", "18"))

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
schema.config.seed = SEED
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
    deterministic=True,
    database="none",
)
schema.config.phases.update(phases=["examples", "fuzzing"])

CSV = (
    b"type,value,tlp\n"
    b"iban,DE89370400440532013000,green\n"
    b"phone,+254712345678,green\n"
    b"domain,login.secure-bank.co.uk,green\n"
    b"ipv4,198.51.100.23,amber\n"
)


@pytest.fixture(scope="module")
def scene(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[dict[str, str]]:
    """One scene per module (each test's changes are rolled back to it): the host with an
    administrator, two partners under data-sharing agreements, a bank's submission ingested, the
    offline enrichers and the governance groups. Yields a Bearer token per fuzzing role."""
    from django.conf import settings

    media_root = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), transaction.atomic():
        host = HostFactory()
        kestrel = OrganisationFactory(name="Kestrel Threat Labs", country="GB")
        bank = OrganisationFactory(name="Atlas Bank Group", country="AE", sector="banking_finance")
        admin = UserFactory(username="admin", role=Role.ADMIN, organisation=host, is_staff=True, is_superuser=True)
        reader = UserFactory(username="reader", role=Role.PARTNER_CONTRIBUTOR, organisation=kestrel)
        banker = UserFactory(username="banker", role=Role.PARTNER_CONTRIBUTOR, organisation=bank)
        UserFactory(username="analyst", role=Role.ANALYST, organisation=host)
        make_agreement(kestrel)
        make_agreement(bank)
        collections_sync()
        groups_ensure()
        for kind in ("iban", "phone", "domain", "crypto"):
            enricher_add(actor=None, name=f"{kind}-offline", kind=kind, organisation=host, tlp_ceiling="red")
        client = APIClient()
        client.force_authenticate(banker)
        upload = io.BytesIO(CSV)
        upload.name = "mules.csv"
        response = client.post("/api/v1/submissions/", {"file": upload, "format": "csv"}, format="multipart")
        assert response.status_code == 201, response.content
        tokens = {
            "admin": token_issue(actor=None, user=admin, name="fuzz", scopes=["read", "write", "admin"]).secret,
            "partner": token_issue(actor=None, user=reader, name="fuzz", scopes=["read", "write"]).secret,
        }
        # The requests reach the real WSGI handler, which closes a connection it finds inside a
        # transaction at each request's start and end; the scene lives in one, so it stays open.
        # (Django's test client does the same around each of its requests.)
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        yield tokens
        transaction.set_rollback(True)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    settings.MEDIA_ROOT = media_root


CHECKED = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "partner"])
@schema.parametrize()
def test_api_answers_inside_its_schema(case: Any, role: str, scene: dict[str, str]) -> None:
    with transaction.atomic():  # each request starts from the scene
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {scene[role]}"}, checks=CHECKED)
        finally:
            transaction.set_rollback(True)
