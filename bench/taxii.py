"""TAXII benchmark against a real ``accord serve`` on loopback, with at least 100,000 stored objects.

Prints: paging a read collection with ``limit=1000`` (objects/s; target >= 60,000), 1,000
object-by-id GETs (p50; target <= 3 ms), the cost of page 1 against page 9,000 (``limit=10``,
after 90,000 objects: within 20 %), and a 10,000-object POST to an inbox until its status is
complete (objects/s; target >= 10,000). On PostgreSQL when ``ACCORD_DATABASE_URL`` names a
server (a database of its own, dropped at the end).
``python -m bench.taxii [WORKERS]`` (``make bench`` runs it after the other benchmarks).
"""

from __future__ import annotations

import gc
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import orjson

from bench.client import NAME as CLIENT
from bench.client import LeanClient, wait_until_listening
from bench.common import accounts_made_long_ago, demo_store
from bench.ingest import write_bundle

STORED = 100_000
POSTED = 10_000
MEDIA_TYPE = "application/taxii+json;version=2.1"


def _cpu(pid: int) -> float:
    """CPU seconds (user and system) the process ``pid`` and its descendants have used so far
    (the server's master and web workers; not ``accord worker``, the background work beside
    them, which runs whether requests come or not): the figure that a machine shared with other
    work does not blur as it does wall time."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            if b"accord.cli\x00worker" in Path(f"/proc/{current}/cmdline").read_bytes():
                continue
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):  # ended meanwhile
            continue
    return total


def _load() -> str:
    return "load average " + " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _prepare() -> dict[str, str]:
    """At least STORED objects in the store, the standard collections, two taxii tokens."""
    demo_store("accord-bench-taxii-", STORED)
    from accord.core.models import Organisation, User
    from accord.core.services import token_issue
    from accord.sharing.models import StixObject
    from accord.taxii.services import collections_sync

    kestrel = Organisation.objects.get(short_name="Kestrel")
    collections_sync()
    analyst = User.objects.get(username="analyst")
    contributor = User.objects.filter(organisation=kestrel, role="partner_contributor").first()
    assert contributor is not None, "the demo has a Kestrel contributor"
    return {
        "reader": token_issue(actor=None, user=analyst, name="bench-taxii", scopes=["taxii"]).secret,
        "writer": token_issue(actor=None, user=contributor, name="bench-taxii", scopes=["taxii", "write"]).secret,
        "inbox": str(kestrel.taxii_collections.get(kind="inbox").pk),
        "stored": str(StixObject.objects.count()),
    }


def _serve(port: int, workers: int) -> subprocess.Popen[bytes]:
    accounts_made_long_ago()  # the worker beside the server computes nothing ahead meanwhile
    # One client drives the server flat out: its requests are counted, as every client's are,
    # but against rates it cannot reach (the figures include the counting, not refusals).
    unreachable = "1000000/minute"
    env = os.environ | {
        "ACCORD_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "ACCORD_API_RATE_PER_TOKEN": unreachable,
        "ACCORD_API_RATE_PER_ADDRESS": unreachable,
    }
    accord = Path(sys.executable).with_name("accord")
    log = open(Path(os.environ["ACCORD_HOME"]) / "bench-serve.log", "wb")  # noqa: SIM115 - lives with the server
    server = subprocess.Popen(
        [str(accord), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    if wait_until_listening(f"http://127.0.0.1:{port}/taxii2/"):
        return server
    server.terminate()
    raise SystemExit("accord serve did not start; see bench-serve.log")


def _envelope(count: int) -> bytes:
    """``count`` indicators with ids of their own (new on every run, never among the stored ones)."""
    path = Path(tempfile.mkdtemp(prefix="accord-bench-taxii-")) / "envelope.json"
    write_bundle(path, count)
    objects = orjson.loads(path.read_bytes())["objects"]
    run = f"-4000-9{random.randrange(4096):03x}-"
    for obj in objects:
        obj["id"] = obj["id"].replace("-4000-8000-", run)
    return orjson.dumps({"objects": objects})


def _depth(reader: Any, url: str, tokens: list[str], server: int, repeat: int = 200) -> None:
    """Page 1 against page 9,000 with ``limit=10``: the page after the first 90,000 objects (the
    ``next`` of the 90th page of 1,000; a token is bound to the filters, not to the limit).
    Alternated, so that both see the same load; the medians and their ratio, and the server's
    CPU time per request of each (sampled by the kernel's ticks: summed over every request)."""
    deep = min(90, len(tokens)) - 1
    if deep < 0:
        print("  page 1 vs a deep page: one page only, nothing to compare")
        return
    first: list[float] = []
    later: list[float] = []
    cpu = {id(first): 0.0, id(later): 0.0}
    for _ in range(repeat):
        for params, samples in (({"limit": 10}, first), ({"limit": 10, "next": tokens[deep]}, later)):
            begin, used = time.perf_counter(), _cpu(server)
            response = reader.get(url, params=params)
            orjson.loads(response.content)
            samples.append(time.perf_counter() - begin)
            cpu[id(samples)] += _cpu(server) - used
            assert response.status == 200, response.text[:300]
    page = (deep + 1) * 100 + 1
    ratio = median(later) / median(first)
    print(
        f"  page 1 vs page {page} (limit=10, after {(deep + 1) * 1000} objects)  p50 {median(first) * 1000:6.2f} ms"
        f" vs {median(later) * 1000:6.2f} ms   {(ratio - 1) * 100:+5.1f} % (target within 20 %)"
    )
    print(
        f"    server CPU per request {cpu[id(first)] / repeat * 1000:6.2f} ms"
        f" vs {cpu[id(later)] / repeat * 1000:6.2f} ms ({_load()})"
    )


def run(workers: int = 2) -> None:
    setup = _prepare()
    # The client's own heap, not the responses, made its collector walk Django's objects over and
    # over while it parsed pages (10 ms of CPU a page instead of 3): a TAXII client holds no
    # Django. Every object made so far leaves the collector's sight; the parsing stays.
    gc.collect()
    gc.freeze()
    port = _free_port()
    server = _serve(port, workers)
    root = f"http://127.0.0.1:{port}/taxii2/api/"
    try:
        reader = LeanClient(root, {"Accept": MEDIA_TYPE}, bearer=setup["reader"])
        shared = orjson.loads(reader.get(f"{root}collections/shared/").content)["id"]
        print(f"\nTAXII against accord serve ({workers} workers, {setup['stored']} stored objects; {_load()})")
        print(f"  client: {CLIENT}")

        ids: list[str] = []
        tokens: list[str] = []  # each page's next, bound to the filters, not to the limit
        count = 0
        params: dict[str, Any] = {"limit": 1000}
        pages = 0
        start, client_start, server_start = time.perf_counter(), time.process_time(), _cpu(server.pid)
        while True:
            response = reader.get(f"{root}collections/{shared}/objects/", params=params)
            assert response.status == 200, response.text[:300]
            body = orjson.loads(response.content)
            received = body.get("objects", [])
            count += len(received)
            ids += [o["id"] for o in received if "id" in o]  # the policy benchmark's rows have empty bodies
            pages += 1
            if not body["more"]:
                break
            params = {"limit": 1000, "next": body["next"]}
            tokens.append(body["next"])
        elapsed, client = time.perf_counter() - start, time.process_time() - client_start
        served = _cpu(server.pid) - server_start
        print(
            f"  page the read collection, limit=1000   {count:7d} objects in {pages} pages, {elapsed:6.2f} s"
            f"   {count / elapsed:9.0f} objects/s (target >= 60000)"
        )
        print(
            f"    per page {elapsed / pages * 1000:6.2f} ms, of which this client (HTTP, JSON parsing)"
            f" {client / pages * 1000:6.2f} ms of CPU"
        )
        print(
            f"    server CPU per page {served / pages * 1000:6.2f} ms: {count / served:9.0f} objects per CPU second"
            f" ({_load()})"
        )

        sample = random.Random(3).sample(ids, min(1000, len(ids)))
        samples = []
        client_start, server_start = time.process_time(), _cpu(server.pid)
        for stix_id in sample:
            begin = time.perf_counter()
            response = reader.get(f"{root}collections/{shared}/objects/{stix_id}/")
            orjson.loads(response.content)
            samples.append(time.perf_counter() - begin)
            assert response.status == 200, response.text[:300]
        client = time.process_time() - client_start
        served = _cpu(server.pid) - server_start
        samples.sort()
        print(
            f"  GET object by id x{len(samples)}                  p50 {median(samples) * 1000:6.2f} ms"
            f"   p95 {samples[int(len(samples) * 0.95) - 1] * 1000:6.2f} ms (target p50 <= 3 ms)"
        )
        print(
            f"    p10 {samples[len(samples) // 10] * 1000:6.2f} ms, of which this client (HTTP, JSON parsing)"
            f" {client / len(samples) * 1000:6.2f} ms of CPU per GET; server CPU per GET"
            f" {served / len(samples) * 1000:6.2f} ms ({_load()})"
        )

        _depth(reader, f"{root}collections/{shared}/objects/", tokens, server.pid)

        writer = LeanClient(root, {"Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE}, bearer=setup["writer"])
        data = _envelope(POSTED)
        start = time.perf_counter()
        response = writer.post(f"{root}collections/{setup['inbox']}/objects/", data=data)
        answered = time.perf_counter() - start
        assert response.status == 202, response.text[:300]
        status = orjson.loads(response.content)
        at_answer = status["status"]
        polls = 0
        while status["status"] != "complete":
            time.sleep(0.05)
            polls += 1
            status = orjson.loads(writer.get(f"{root}status/{status['id']}/").content)
        elapsed = time.perf_counter() - start
        assert status["success_count"] == POSTED, (status["failure_count"], status.get("failures", [])[:2])
        print(
            f"  POST {POSTED} objects to an inbox until complete      {elapsed:6.2f} s"
            f"   {POSTED / elapsed:9.0f} objects/s (target >= 10000)"
        )
        print(f"    (answered 202 after {answered:.2f} s, {at_answer} then; {polls} status polls after it)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
