"""Load: partners submitting over the API and TAXII while analysts page and search, through real
``accord serve`` processes (gunicorn) and ``accord worker`` processes, for a fixed number of
requests; then every object a submission or a TAXII status said was accepted must be stored
exactly once, and no request may have had a 5xx answer.

``python -m bench.load [requests per partner] [--partners 8] [--servers 1] [--workers 1]``
(also part of ``make bench``). It builds a fresh ``ACCORD_HOME`` and a fresh database: a new
SQLite file, or, when ``ACCORD_DATABASE_URL`` names a PostgreSQL server, a new database on that
server (dropped afterwards). It prints requests/s, objects/s and p50/p95/p99 per kind of
request. The test suite runs a small version of it (``tests/test_load.py``) and the two-host test
(``tests/test_two_hosts.py``) runs it through two servers and two workers on one PostgreSQL.

The pieces are usable alone: ``site()`` starts the servers and workers, ``run_load()`` sends the
requests, ``verify()`` counts what is stored, ``print_figures()`` prints.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.common import postgresql_database
from bench.mixed import mixed_objects

__all__ = ["Load", "Site", "print_figures", "run_load", "site", "site_facts", "verify"]

ROOT = Path(__file__).resolve().parents[1]
ACCORD = str(Path(sys.executable).with_name("accord"))
TAXII = "application/taxii+json;version=2.1"
PASSWORD = "load-test-password-2026"  # noqa: S105 - the throw-away site's people
SEARCHES = ("host1", "login2", "mule3", "10.0.", "host4.example")


# -- the site: a fresh home and database, servers and workers ----------------------------------


@dataclass
class Site:
    """A running Accord: its environment, server URLs and the tokens ``setup`` issued."""

    home: Path
    env: dict[str, str]
    urls: list[str]
    partners: list[dict[str, str]] = field(default_factory=list)
    analysts: list[str] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def manage(self, *args: str) -> str:
        """Run ``python -m bench.load <args>`` in the site's environment; its standard output."""
        result = subprocess.run(
            [sys.executable, "-m", "bench.load", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"bench.load {args[0]} failed:\n{result.stderr[-4000:]}")
        return result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _database(url: str | None, home: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in ``home``, or a new database on the PostgreSQL server
    ``url`` names (dropped on the way out)."""
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{home / 'accord.sqlite3'}"
        return
    with postgresql_database(url, "accord_load") as made:
        yield made


def _wait_answering(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        with suppress(requests.RequestException):
            if requests.get(f"{url}/taxii2/", timeout=5).status_code < 500:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


@contextmanager
def site(
    *,
    partners: int = 8,
    analysts: int = 4,
    servers: int = 1,
    workers: int = 1,
    server_processes: int = 2,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
    keep: bool = False,
) -> Iterator[Site]:
    """A fresh Accord site: ``servers`` ``accord serve`` processes on free ports (each with
    ``server_processes`` gunicorn workers) and ``workers`` ``accord worker`` processes, all on one
    new database (``database_url``'s server, else SQLite), with ``partners`` organisations under
    data-sharing agreements in force and ``analysts`` analysts, each with a token. The home (its
    logs) is removed afterwards unless ``keep``."""
    home = Path(tempfile.mkdtemp(prefix="accord-load-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_") and k != "DJANGO_SETTINGS_MODULE"}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with _database(database_url, home) as url:
            environment = base | {
                "ACCORD_HOME": str(home),
                "ACCORD_DATABASE_URL": url,
                "ACCORD_TASK_BACKEND": "database",
                # Every client here comes from 127.0.0.1, where real partners and analysts each
                # have their own address: the per-address request rate would measure only itself.
                "ACCORD_API_RATE_PER_ADDRESS": "",
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            }
            running = Site(home=home, env=environment | (env or {}), urls=[])
            init = [ACCORD, "init", "--no-static"]
            subprocess.run(init, env=running.env, check=True, capture_output=True)  # noqa: S603
            made = json.loads(running.manage("setup", str(partners), str(analysts)))
            running.partners, running.analysts = made["partners"], made["analysts"]
            try:
                for n in range(servers):
                    port = _free_port()
                    serve = [ACCORD, "serve", "--port", str(port), "--workers", str(server_processes), "--no-worker"]
                    processes.append(_start(running, serve, f"serve-{n}.log"))
                    running.urls.append(f"http://127.0.0.1:{port}")
                for n in range(workers):
                    processes.append(_start(running, [ACCORD, "worker", "--interval", "0.5"], f"worker-{n}.log"))
                for url_, process, log in zip(running.urls, processes, running.logs, strict=False):
                    _wait_answering(url_, process, log)
                yield running
            finally:
                _stop(processes)
    finally:
        if keep:
            print(f"The site's home, with the servers' and workers' logs: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def _start(running: Site, command: list[str], log_name: str) -> subprocess.Popen[bytes]:
    """``command`` in the site's environment, its output in ``log_name`` in the site's home."""
    log = running.home / log_name
    running.logs.append(log)
    with log.open("wb") as output:
        return subprocess.Popen(command, env=running.env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the load ----------------------------------------------------------------------------------


@dataclass
class Load:
    """What the clients saw: every request's kind, seconds and status; what was accepted."""

    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    accepted: list[str] = field(default_factory=list)
    sent: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(len(s) for s in self.samples.values())

    @property
    def server_errors(self) -> list[str]:
        return [
            f"{kind}: {code} x{n}" for kind, codes in self.statuses.items() for code, n in codes.items() if code >= 500
        ]

    @property
    def server_error_count(self) -> int:
        return sum(n for codes in self.statuses.values() for code, n in codes.items() if code >= 500)

    def note(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.samples[kind].append(seconds)
            self.statuses[kind][status] += 1

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


class _Client:
    """One client's ``requests`` session; every request timed and its status noted."""

    def __init__(self, load: Load, urls: list[str], token: str, offset: int) -> None:
        self.load, self.urls, self.offset, self.turn = load, urls, offset, 0
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self) -> str:
        """The next server, in turn: a client's requests spread over every server."""
        self.turn += 1
        return self.urls[(self.offset + self.turn) % len(self.urls)]

    def call(self, kind: str, method: str, path: str, **options: Any) -> requests.Response | None:
        start = time.perf_counter()
        try:
            response = self.session.request(method, self.url() + path, timeout=300, **options)
        except requests.RequestException as exc:
            self.load.note(kind, time.perf_counter() - start, 599)
            self.load.problem(f"{kind} {path}: {exc}")
            return None
        self.load.note(kind, time.perf_counter() - start, response.status_code)
        return response


def _bundle(seed: int, objects: int) -> list[dict[str, Any]]:
    """``objects`` real-shaped STIX objects with ids of their own (the generator's producer
    identity, shared by every bundle, is left out: one organisation would own it)."""
    return [obj for obj in mixed_objects(objects + 1, seed=seed) if not obj["id"].startswith("identity--")][:objects]


def _api_submit(client: _Client, objects: list[dict[str, Any]], seed: int) -> None:
    body = json.dumps({"type": "bundle", "id": f"bundle--{uuid.UUID(int=seed, version=4)}", "objects": objects})
    response = client.call(
        "api submit", "POST", "/api/v1/submissions/", data=body, headers={"Content-Type": "application/json"}
    )
    if response is None:
        return
    if response.status_code not in (200, 201, 202):
        client.load.problem(f"api submit answered {response.status_code}: {response.text[:300]}")
        return
    submission = response.json()
    while submission["status"] not in ("done", "failed"):
        time.sleep(0.2)
        polled = client.call("api submission status", "GET", f"/api/v1/submissions/{submission['id']}/")
        if polled is None or polled.status_code != 200:
            return
        submission = polled.json()
    if submission["status"] != "done":
        client.load.problem(f"api submission {submission['id']} {submission['status']}: {submission['errors'][:1]}")
        return
    refused: set[str] = set()
    if submission["rejected_count"]:
        page = client.call("api refusals", "GET", f"/api/v1/submissions/{submission['id']}/refused/?page_size=500")
        wheres = " ".join(r["where"] for r in page.json()["results"]) if page is not None else ""
        refused = {obj["id"] for obj in objects if obj["id"] in wheres}
    with client.load.lock:
        client.load.accepted.extend(obj["id"] for obj in objects if obj["id"] not in refused)
        client.load.sent += len(objects)


def _taxii_post(client: _Client, objects: list[dict[str, Any]], inbox: str) -> None:
    headers = {"Content-Type": TAXII, "Accept": TAXII}
    path = f"/taxii2/api/collections/{inbox}/objects/"
    response = client.call("taxii post", "POST", path, data=json.dumps({"objects": objects}), headers=headers)
    if response is None:
        return
    if response.status_code != 202:
        client.load.problem(f"taxii post answered {response.status_code}: {response.text[:300]}")
        return
    status = response.json()
    while status["status"] != "complete":
        time.sleep(0.2)
        polled = client.call("taxii status", "GET", f"/taxii2/api/status/{status['id']}/", headers={"Accept": TAXII})
        if polled is None or polled.status_code != 200:
            return
        status = polled.json()
    with client.load.lock:
        client.load.accepted.extend(entry["id"] for entry in status.get("successes", []))
        client.load.sent += len(objects)


def _partner(client: _Client, partner: dict[str, str], number: int, requests_: int, objects: int) -> None:
    for n in range(requests_):
        seed = number * 1_000_003 + n + 1
        bundle = _bundle(seed, objects)
        if n % 2 == 0:
            _api_submit(client, bundle, seed)
        else:
            _taxii_post(client, bundle, partner["inbox"])


def _analyst(client: _Client, requests_: int, rng: random.Random) -> None:
    taxii_next = ""
    accept = {"Accept": TAXII}
    for n in range(requests_):
        kind = n % 4
        if kind == 0:
            page = f"&next={taxii_next}" if taxii_next else ""
            response = client.call(
                "taxii page", "GET", f"/taxii2/api/collections/shared/objects/?limit=100{page}", headers=accept
            )
            body = response.json() if response is not None and response.status_code == 200 else {}
            taxii_next = body.get("next", "") if body.get("more") else ""
        elif kind == 1:
            client.call("api objects page", "GET", f"/api/v1/objects/?page_size=50&page={rng.randint(1, 3)}")
        elif kind == 2:
            client.call("api search", "GET", f"/api/v1/objects/?value_prefix={rng.choice(SEARCHES)}&page_size=50")
        else:
            client.call("api observables", "GET", f"/api/v1/observables/?page_size=50&page={rng.randint(1, 3)}")


def run_load(running: Site, *, partner_requests: int, analyst_requests: int, objects: int = 40) -> Load:
    """Every partner sends ``partner_requests`` bundles of ``objects`` objects (the API and TAXII
    in turn) while every analyst makes ``analyst_requests`` reads, all at once, each client's
    requests spread over the site's servers; what they saw."""
    load = Load()
    threads = [
        threading.Thread(
            target=_partner,
            args=(_Client(load, running.urls, p["token"], n), p, n, partner_requests, objects),
        )
        for n, p in enumerate(running.partners)
    ]
    threads += [
        threading.Thread(
            target=_analyst,
            args=(_Client(load, running.urls, token, n), analyst_requests, random.Random(n)),
        )
        for n, token in enumerate(running.analysts)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - start
    return load


def verify(running: Site, load: Load) -> dict[str, Any]:
    """How many times each accepted object is stored: ``missing`` and ``duplicated`` ids."""
    listing = running.home / "accepted.json"
    listing.write_text(json.dumps(load.accepted))
    return dict(json.loads(running.manage("verify", str(listing))))


def site_facts(running: Site) -> dict[str, Any]:
    """The site's bookkeeping: daily jobs run (audit events per job), feeds pulled, sign-in locks."""
    return dict(json.loads(running.manage("facts")))


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def print_figures(title: str, load: Load, stored: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(
        f"{load.requests} requests in {load.seconds:.1f} s: {load.requests / load.seconds:.1f} requests/s, "
        f"{len(load.accepted) / load.seconds:.0f} objects/s accepted ({len(load.accepted)} of {load.sent} sent); "
        f"stored exactly once: {stored['once']}, missing {len(stored['missing'])}, "
        f"duplicated {len(stored['duplicated'])}; 5xx: {load.server_error_count}"
    )
    for kind, samples in sorted(load.samples.items()):
        print(
            f"  {kind:<24} {len(samples):6} requests   p50 {_percentile(samples, 0.5) * 1000:8.1f} ms"
            f"   p95 {_percentile(samples, 0.95) * 1000:8.1f} ms   p99 {_percentile(samples, 0.99) * 1000:8.1f} ms"
        )
    for text in load.problems[:10]:
        print(f"  problem: {text}")


# -- what runs inside the site (``python -m bench.load setup|verify|facts``) -------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()


def _token_of(organisation: Any, username: str, role: str, scopes: list[str]) -> str:
    """A person of ``role`` in ``organisation`` and a token of ``scopes`` of theirs."""
    from accord.core.services import person_create, token_issue

    person = person_create(
        actor=None,
        organisation=organisation,
        username=username,
        email=f"{username}@example.org",
        role=role,
        password=PASSWORD,
    )
    return token_issue(actor=None, user=person, name="load", scopes=scopes).secret


def _setup(partners: int, analysts: int) -> dict[str, Any]:
    """Partner organisations under data-sharing agreements in force, a contributor of each with
    a token that may write over the API and TAXII, and analysts with reading tokens."""
    _django()
    from datetime import timedelta

    from django.utils import timezone

    from accord.core.models import Organisation
    from accord.core.services import organisation_create
    from accord.partners.demo import PROFILES
    from accord.partners.services import agreement_activate, agreement_create
    from accord.taxii.models import Collection
    from accord.taxii.services import collections_sync

    now = timezone.now()
    host = Organisation.objects.get(is_host=True)
    made: dict[str, Any] = {"partners": [], "analysts": []}
    for n in range(partners):
        organisation = organisation_create(
            actor=None,
            name=f"Load partner {n:02}",
            short_name=f"LP{n:02}",
            kind="private",
            sector="cybersecurity",
            country=["GB", "KE", "BR", "SG", "FR", "JO", "DE", "JP"][n % 8],
            status="vetting",
        )
        agreement = agreement_create(
            actor=None,
            organisation=organisation,
            kind="data_sharing",
            title=f"Data sharing with load partner {n:02}",
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=365),
            terms=PROFILES["Kestrel"][2],
        )
        agreement_activate(
            actor=None, agreement=agreement, override_reason="Benchmark data: no paper agreement behind it."
        )
        token = _token_of(organisation, f"load-partner-{n:02}", "partner_contributor", ["read", "taxii", "write"])
        made["partners"].append({"token": token, "organisation": organisation.pk})
    collections_sync()
    for entry in made["partners"]:
        entry["inbox"] = str(Collection.objects.get(alias=f"inbox-{entry['organisation']}").pk)
    for n in range(analysts):
        made["analysts"].append(_token_of(host, f"load-analyst-{n:02}", "analyst", ["read", "taxii"]))
    return made


def _verify(listing: Path) -> dict[str, Any]:
    _django()
    from django.db.models import Count

    from accord.sharing.models import StixObject

    accepted = json.loads(listing.read_text())
    counts: dict[str, int] = {}
    for start in range(0, len(accepted), 500):
        chunk = accepted[start : start + 500]
        rows = StixObject.objects.filter(stix_id__in=chunk).values("stix_id").annotate(n=Count("pk"))
        counts |= {row["stix_id"]: row["n"] for row in rows}
    repeated = sorted(i for i, n in Counter(accepted).items() if n > 1)
    missing = sorted(i for i in set(accepted) if i not in counts)
    duplicated = sorted(i for i, n in counts.items() if n > 1)
    once = sum(1 for n in counts.values() if n == 1)
    return {"once": once, "missing": missing, "duplicated": duplicated, "accepted_twice": repeated}


def _facts() -> dict[str, Any]:
    _django()
    from django.conf import settings
    from django.db.models import Count

    from accord.core.models import AuditEvent

    runs = AuditEvent.objects.filter(action="schedule.run").values("object_id").annotate(n=Count("pk"))
    pulls = AuditEvent.objects.filter(action__in=["feed.pull", "feed.pull_failed"]).values("object_id")
    return {
        "locks": AuditEvent.objects.filter(action="auth.locked").count(),
        "daily_jobs": list(settings.ACCORD_DAILY_JOBS),
        "daily_runs": {row["object_id"]: row["n"] for row in runs},
        "feed_pulls": [row["object_id"] for row in pulls],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("requests", nargs="?", type=int, default=int(os.environ.get("ACCORD_LOAD_REQUESTS", "30")))
    parser.add_argument("--partners", type=int, default=8)
    parser.add_argument("--analysts", type=int, default=4)
    parser.add_argument("--objects", type=int, default=40, help="Objects in each partner's bundle.")
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the site's home and its logs.")
    options = parser.parse_args()
    database = os.environ.get("ACCORD_DATABASE_URL") or ""
    with site(
        partners=options.partners,
        analysts=options.analysts,
        servers=options.servers,
        workers=options.workers,
        database_url=database,
        keep=options.keep,
    ) as running:
        load = run_load(
            running, partner_requests=options.requests, analyst_requests=options.requests * 2, objects=options.objects
        )
        stored = verify(running, load)
    where = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    print_figures(
        f"Load on {where}: {options.partners} partners x {options.requests} submissions of {options.objects} objects "
        f"(API and TAXII in turn), {options.analysts} analysts x {options.requests * 2} reads, "
        f"{options.servers} server(s), {options.workers} worker(s)",
        load,
        stored,
    )
    if load.server_errors or stored["missing"] or stored["duplicated"] or load.problems:
        raise SystemExit("the load lost or doubled data, or had server errors (above)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("setup", "verify", "facts"):
        command, arguments = sys.argv[1], sys.argv[2:]
        if command == "setup":
            print(json.dumps(_setup(int(arguments[0]), int(arguments[1]))))
        elif command == "verify":
            print(json.dumps(_verify(Path(arguments[0]))))
        else:
            print(json.dumps(_facts()))
    else:
        main()
