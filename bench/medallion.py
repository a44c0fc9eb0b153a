"""Side by side with medallion, the OASIS TAXII 2.1 reference server, on the same workload.

``python -m bench.medallion [objects]`` (10,000 by default; also part of ``make bench``). The
same deterministic, real-shaped STIX 2.1 workload (:mod:`bench.mixed`: indicators, observables,
relationships, sightings, reports…) goes over real HTTP on loopback to two servers, one after
the other, each with one web process answering one client's requests in turn:

- medallion 3 (Flask) with its memory backend under gunicorn (one sync worker: the memory
  backend lives in that process), its configuration and user written to a temporary directory;
- Accord: ``accord serve --workers 1`` (gunicorn, with the task worker ``accord serve`` starts
  beside it) on a fresh store holding the demo (a database of its own on the PostgreSQL server
  ``ACCORD_DATABASE_URL`` names, else SQLite).

For each: ingest (one POST of every object to a collection, until the status resource says
complete: objects/s), paging the collection with ``limit=1000`` (objects/s; Accord's read
collection also holds the demo's objects, counted; medallion's pages for a minute at most, at
least one: each of its pages sorts the whole collection, minutes at 10,000), and the p50 of get-by-id requests for the
same ids on both (1,000, or as many as a minute takes: medallion scans its whole collection for
each). Then the ratios against the targets: >= 10x medallion's ingest, >= 1,000x
its paging, >= 200x its get-by-id. Both are asked by the same client, the leanest honest one
(:mod:`bench.client`: ``http.client`` and ``orjson``, every body parsed).
"""

from __future__ import annotations

import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median
from typing import Any

import orjson

from bench.client import NAME as CLIENT
from bench.client import LeanClient, wait_until_listening
from bench.mixed import mixed_objects
from bench.scale import _stop
from bench.taxii import _free_port, _serve

MEDIA_TYPE = "application/taxii+json;version=2.1"
BUDGET = 60.0  # seconds of get-by-id requests at most on each server, and of medallion's pages
TARGETS = {"ingest": 10, "paging": 1000, "get-by-id": 200}


def _medallion(folder: Path) -> tuple[subprocess.Popen[bytes], str, tuple[str, str]]:
    """medallion on a free loopback port: the process, its objects URL, its user."""
    port = _free_port()
    root = f"http://127.0.0.1:{port}/bench/"
    collection = str(uuid.UUID(int=20, version=4))
    data = {
        "/discovery": {"title": "bench", "default": root, "api_roots": [root]},
        "bench": {
            "information": {"title": "bench", "versions": [MEDIA_TYPE], "max_content_length": 1_000_000_000},
            "status": [],
            "collections": [
                {
                    "id": collection,
                    "title": "bench",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (folder / "data.json").write_text(json.dumps(data))
    user = ("bench", "bench-password")
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(folder / "data.json"),
        },
        "users": {user[0]: user[1]},
        "taxii": {"max_page_size": 1000},
    }
    (folder / "config.json").write_text(json.dumps(config))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--workers", "1", "--timeout", "3600", "--bind", f"127.0.0.1:{port}"]
    command.append(f"medallion:load_app({str(folder / 'config.json')!r})")
    log = (folder / "medallion.log").open("wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    if wait_until_listening(root, {"Accept": MEDIA_TYPE}):
        return server, f"{root}collections/{collection}/objects/", user
    server.terminate()
    raise SystemExit(f"medallion did not start; see {folder / 'medallion.log'}")


def _accord() -> tuple[subprocess.Popen[bytes], str, str, str, str]:
    """Accord on a free loopback port: the process, the inbox's and the read collection's objects
    URLs, the writer's and the reader's tokens."""
    from bench.common import demo_store

    demo_store("accord-bench-medallion-", 0)
    from accord.core.models import Organisation, User
    from accord.core.services import token_issue
    from accord.taxii.services import collections_sync

    collections_sync()
    kestrel = Organisation.objects.get(short_name="Kestrel")
    contributor = User.objects.filter(organisation=kestrel, role="partner_contributor").first()
    assert contributor is not None, "the demo has a Kestrel contributor"  # noqa: S101
    writer = token_issue(actor=None, user=contributor, name="bench", scopes=["taxii", "write"]).secret
    reader = token_issue(actor=None, user=User.objects.get(username="analyst"), name="bench", scopes=["taxii"]).secret
    inbox = kestrel.taxii_collections.get(kind="inbox").pk
    port = _free_port()
    server = _serve(port, 1)
    root = f"http://127.0.0.1:{port}/taxii2/api/"
    asking = LeanClient(root, {"Accept": MEDIA_TYPE}, bearer=reader)
    shared = orjson.loads(asking.get(f"{root}collections/shared/").content)["id"]
    asking.close()
    return server, f"{root}collections/{inbox}/objects/", f"{root}collections/{shared}/objects/", writer, reader


def _ingest(session: LeanClient, url: str, status_url: str, data: bytes, count: int) -> float:
    """Seconds from the POST of every object to the status resource saying complete."""
    start = time.perf_counter()
    response = session.post(url, data=data, headers={"Content-Type": MEDIA_TYPE})
    assert response.status == 202, response.text[:300]  # noqa: S101
    status = orjson.loads(response.content)
    while status["status"] != "complete":
        time.sleep(0.05)
        status = orjson.loads(session.get(f"{status_url}{status['id']}/").content)
    elapsed = time.perf_counter() - start
    assert status["success_count"] == count, (status["success_count"], status.get("failures", [])[:2])  # noqa: S101
    return elapsed


def _page(session: LeanClient, url: str, budget: float | None = None) -> tuple[float, list[str]]:
    """Seconds to page the collection with limit=1000, and the ids read: the whole of it, or
    the pages read until ``budget`` seconds have passed (at least one)."""
    ids: list[str] = []
    params: dict[str, Any] = {"limit": 1000}
    start = time.perf_counter()
    while True:
        response = session.get(url, params=params)
        assert response.status == 200, response.text[:300]  # noqa: S101
        body = orjson.loads(response.content)
        ids += [o["id"] for o in body.get("objects", [])]
        if not body.get("more") or (budget is not None and time.perf_counter() - start > budget):
            return time.perf_counter() - start, ids
        params = {"limit": 1000, "next": body["next"]}


def _by_id(session: LeanClient, url: str, ids: list[str], budget: float = BUDGET) -> tuple[float, int]:
    """The median seconds of a get-by-id over ``ids`` in turn, stopping after ``budget`` seconds
    (at least 20 asked): medallion scans its whole collection on every one; how many were asked."""
    samples: list[float] = []
    start = time.perf_counter()
    for stix_id in ids:
        begin = time.perf_counter()
        response = session.get(f"{url}{stix_id}/")
        orjson.loads(response.content)
        samples.append(time.perf_counter() - begin)
        assert response.status == 200, response.text[:300]  # noqa: S101
        if len(samples) >= 20 and time.perf_counter() - start > budget:
            break
    return median(samples), len(samples)


def _said(name: str, figures: dict[str, float], ingest: float, paging: float) -> None:
    print(
        f"  {name:<10} ingest {ingest:7.1f} s ({figures['ingest']:.0f} objects/s), "
        f"paging {paging:7.1f} s ({figures['paging']:.0f} objects/s)",
        flush=True,
    )


def run(objects: int = 10_000) -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress, when sent to a file
    workload = list(mixed_objects(objects))
    data = orjson.dumps({"objects": workload})
    folder = Path(tempfile.mkdtemp(prefix="accord-bench-medallion-"))
    print(
        f"\nSide by side with medallion ({objects} real-shaped objects, {len(data) / 1e6:.1f} MB, over loopback HTTP)"
    )
    print(f"  client for both: {CLIENT}")
    figures: dict[str, dict[str, float]] = {}
    seen: dict[str, list[str]] = {}
    urls: dict[str, str] = {}
    sessions: dict[str, LeanClient] = {}
    processes = []
    try:
        medallion, objects_url, user = _medallion(folder)
        processes.append(medallion)
        session = LeanClient(objects_url, {"Accept": MEDIA_TYPE}, basic=user)
        seconds = _ingest(session, objects_url, objects_url.split("collections/")[0] + "status/", data, objects)
        paged, seen["medallion"] = _page(session, objects_url, BUDGET)
        figures["medallion"] = {"ingest": objects / seconds, "paging": len(seen["medallion"]) / paged}
        _said("medallion", figures["medallion"], seconds, paged)
        urls["medallion"], sessions["medallion"] = objects_url, session

        accord, inbox, shared, writer, reader = _accord()
        gc.collect()  # Django's objects, loaded for Accord's store, out of the client's collector's sight
        gc.freeze()
        processes.append(accord)
        session = LeanClient(inbox, {"Accept": MEDIA_TYPE}, bearer=writer)
        seconds = _ingest(session, inbox, inbox.split("collections/")[0] + "status/", data, objects)
        session = LeanClient(shared, {"Accept": MEDIA_TYPE}, bearer=reader)
        paged, seen["accord"] = _page(session, shared)
        figures["accord"] = {"ingest": objects / seconds, "paging": len(seen["accord"]) / paged}
        _said("Accord", figures["accord"], seconds, paged)
        urls["accord"], sessions["accord"] = shared, session

        both = sorted(set(seen["medallion"]) & set(seen["accord"]))
        ids = random.Random(3).sample(both, min(1000, len(both)))  # the same ids, asked in the same order
        asked = {}
        for name in ("medallion", "accord"):
            figures[name]["get-by-id"], asked[name] = _by_id(sessions[name], urls[name], ids)
    finally:
        for process in processes:
            _stop(process)
    m, a = figures["medallion"], figures["accord"]
    ratios = {
        "ingest": a["ingest"] / m["ingest"],
        "paging": a["paging"] / m["paging"],
        "get-by-id": m["get-by-id"] / a["get-by-id"],
    }
    print(f"  {'':<30}{'medallion':>12}{'Accord':>12}{'ratio':>10}   target")
    for what, label, scale in (
        ("ingest", "ingest, objects/s", 1),
        ("paging", "paging limit=1000, objects/s", 1),
        ("get-by-id", "get-by-id p50, ms", 1000),
    ):
        under = "" if ratios[what] >= TARGETS[what] else "  UNDER"
        print(
            f"  {label:<30}{m[what] * scale:>12.2f}{a[what] * scale:>12.2f}{ratios[what]:>9.1f}x"
            f"   >= {TARGETS[what]}x{under}"
        )
    paged = f"medallion {len(seen['medallion'])} objects, Accord {len(seen['accord'])} (with the demo's)"
    print(
        f"  (paged: {paged}; by id: the same ids in the same order, medallion {asked['medallion']}, "
        f"Accord {asked['accord']} of them in {BUDGET:.0f} s at most)"
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
