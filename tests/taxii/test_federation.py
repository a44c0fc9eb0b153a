"""Two Accord instances federate: a hub (its own home and database, under ``accord serve``)
serves a partner's data over TAXII; this instance pulls, through a TAXII feed, the collection a
national unit is entitled to there, as submissions of the feed's organisation."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from accord.feeds.services import feed_add, feed_pull
from accord.sharing.models import StixObject, Submission
from accord.taxii.api import MEDIA_TYPE
from tests.factories import OrganisationFactory, make_agreement

ACCORD = str(Path(sys.executable).with_name("accord"))
# The hub runs this checkout's code (its src, whatever the environment installed) and its tests' helpers.
CHECKOUT = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join([str(CHECKOUT / "src"), str(CHECKOUT)])


def _accord(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {
        "ACCORD_HOME": str(home),
        "ACCORD_DATABASE_URL": f"sqlite:///{home / 'accord.sqlite3'}",
        "ACCORD_ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONPATH": PYTHONPATH,
    }
    return subprocess.run([ACCORD, *args], capture_output=True, text=True, env=environment, timeout=180, check=False)


# Run in the hub's own process and database: a partner sharing under its agreement, and a
# national unit (law enforcement) with a taxii token. Prints the token.
HUB_SETUP = """
import io
import django
django.setup()
from accord.core.services import token_issue
from accord.sharing.services import submission_create, submission_process
from accord.taxii.services import collections_sync
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import bundle, indicator
from accord.formats.markings import TLP2_IDS

kestrel = OrganisationFactory(name="Kestrel", country="GB")
make_agreement(kestrel)
unit = OrganisationFactory(name="KE-NCU", kind="law_enforcement", sector="", country="KE")
make_agreement(unit)
data = bundle(
    indicator(1, "[domain-name:value = 'phish.example.com']", object_marking_refs=[TLP2_IDS["green"]]),
    indicator(2, "[ipv4-addr:value = '198.51.100.23']", object_marking_refs=[TLP2_IDS["amber"]]),
    indicator(3, "[ipv4-addr:value = '198.51.100.24']", object_marking_refs=[TLP2_IDS["amber+strict"]]),
)
submission, _ = submission_create(actor=None, organisation=kestrel, stream=io.BytesIO(data), format="stix")
assert submission_process(submission_id=submission.pk).status == "done"
collections_sync()
user = UserFactory(username="k.mwangi", role="partner_reader", organisation=unit)
print(token_issue(actor=None, user=user, name="hub", scopes=["taxii"]).secret)
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A second Accord with its own home and database, serving on a free loopback port."""
    home = tmp_path_factory.mktemp("hub")
    assert _accord(home, "init", "--no-static").returncode == 0
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {
        "ACCORD_HOME": str(home),
        "ACCORD_DATABASE_URL": f"sqlite:///{home / 'accord.sqlite3'}",
        "ACCORD_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "PYTHONPATH": PYTHONPATH,
    }
    setup = subprocess.run(
        [sys.executable, "-c", HUB_SETUP], capture_output=True, text=True, env=environment, timeout=120, check=False
    )
    assert setup.returncode == 0, setup.stderr
    token = setup.stdout.strip().splitlines()[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [ACCORD, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}/taxii2/api/"
    try:
        started = time.monotonic() + 120  # a bound for a loaded machine, not a speed check
        while True:
            try:
                requests.get(root, timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > started:
                    raise
                time.sleep(0.1)
        yield {"root": root, "user": "k.mwangi", "token": token, "environment": environment}
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.django_db
def test_a_national_instance_pulls_what_it_may_receive_from_the_hub(hub, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    headers = {"Accept": MEDIA_TYPE}
    auth = (hub["user"], hub["token"])
    listed = requests.get(f"{hub['root']}collections/", headers=headers, auth=auth, timeout=10).json()
    shared = next(c["id"] for c in listed["collections"] if c["alias"] == "shared")
    served = requests.get(f"{hub['root']}collections/{shared}/objects/", headers=headers, auth=auth, timeout=10).json()
    expected = {o["id"] for o in served["objects"]}
    assert len(expected) == 2 and served["more"] is False  # AMBER+STRICT stays with the hub

    national = OrganisationFactory(name="Hub", kind="international_org", sector="", country="SG")
    agreement = make_agreement(national)
    feed = feed_add(
        actor=None,
        name="hub",
        kind="taxii",
        url=hub["root"],
        collection=shared,
        username=hub["user"],
        token=hub["token"],
        organisation=national,
        agreement=agreement,
    )
    result = feed_pull(actor=None, feed=feed)
    assert result.ok, result
    assert set(StixObject.objects.values_list("stix_id", flat=True)) == expected
    assert set(StixObject.objects.values_list("organisation_id", flat=True)) == {national.pk}
    assert Submission.objects.filter(organisation=national, status="done").count() == 1
    received = {o["id"]: o for o in served["objects"]}
    for obj in StixObject.objects.all():  # the hub's markings travel with the data
        assert obj.body["object_marking_refs"] == received[obj.stix_id]["object_marking_refs"]
    again = feed_pull(actor=None, feed=feed)  # incremental by added_after: nothing new
    assert again.ok and Submission.objects.filter(organisation=national).count() == 1
