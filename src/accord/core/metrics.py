"""Prometheus metrics: what they count, and ``/metrics``, which shows them to those allowed.

Every label is a bounded name chosen by the code (a route's name, a format, a policy rule),
never a value from a request or from shared data: no path, query, organisation or object
appears in a metric.

Under ``accord serve`` and ``accord worker`` (``PROMETHEUS_MULTIPROC_DIR``, set by
:mod:`accord.cli`) each process writes its figures to a file of that directory and ``/metrics``
adds them up (prometheus_client's multiprocess mode); elsewhere (tests, ``runserver``) they
live in the process.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from accord.core.ratelimit import client_ip

__all__ = [
    "HTTP_LATENCY",
    "HTTP_REQUESTS",
    "INGEST_OBJECTS",
    "INGEST_SUBMISSIONS",
    "POLICY_DENIALS",
    "POLICY_DENIAL_TALLY",
    "REPLICA_READS",
    "TAXII_READS",
    "Tally",
    "flush_tallies",
    "metrics_allowed",
    "metrics_view",
    "multiprocess_dir",
]

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "accord_http_requests",
    "HTTP requests answered, by route name, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "accord_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
INGEST_OBJECTS = Counter(
    "accord_ingest_objects",
    "Objects of finished submissions, by format and outcome (new, updated, refused; failed: "
    "read in a submission that stored nothing).",
    ["format", "outcome"],
)
INGEST_SUBMISSIONS = Counter(
    "accord_ingest_submissions",
    "Submissions whose ingest finished, by format and status (done, failed).",
    ["format", "status"],
)
TAXII_READS = Counter(
    "accord_taxii_reads",
    "TAXII 2.1 GET requests answered with 200, by endpoint (discovery, api_root, collections, "
    "collection, objects, object, versions, manifest, status).",
    ["endpoint"],
)
POLICY_DENIALS = Counter(
    "accord_policy_denials",
    "Objects the policy refused one asker in a decision on that object (accord.policy.decide), "
    "by the rule that refused; lists filtered in SQL are not counted.",
    ["rule"],
)
REPLICA_READS = Counter(
    "accord_replica_reads",
    "Requests whose reads a read replica could serve (accord.core.replicas), by outcome: replica "
    "(a replica served them), pinned (the asker had just written: the primary), lagging or "
    "unreachable (no replica fit to serve: the primary served them).",
    ["outcome"],
)


class Tally:
    """Counts of one labelled counter kept in a plain dict and added to it in one go
    (:func:`flush_tallies`): for a count taken inside a loop over many objects, where even a
    prometheus_client increment (a lock and, in multiprocess mode, a file write: 1 to 2 µs)
    would cost a large export a noticeable share of its time. Flushed after every request, every
    worker round and before every scrape."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self.pending: defaultdict[str, int] = defaultdict(int)
        _TALLIES.append(self)

    def add(self, label: str) -> None:
        self.pending[label] += 1

    def flush(self) -> None:
        pending, self.pending = self.pending, defaultdict(int)
        for label, count in pending.items():
            self.counter.labels(label).inc(count)


_TALLIES: list[Tally] = []
POLICY_DENIAL_TALLY = Tally(POLICY_DENIALS)


def flush_tallies() -> None:
    """Add every :class:`Tally`'s pending counts to its counter."""
    for tally in _TALLIES:
        tally.flush()


def multiprocess_dir() -> str | None:
    """The directory of the processes' figures, when in multiprocess mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class ScrapeCollector(Collector):
    """Figures read from the database when scraped: the task queue, the worker's heartbeat.
    Every process reads the same table, so they are gauges of the moment, not per process."""

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # without it, registering would read the database to learn the names

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from accord.core.health import worker_heartbeat  # noqa: PLC0415 - health imports this module

        try:
            if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
                from django_tasks_db.models import DBTaskResult  # noqa: PLC0415 - an app, loaded when on

                queue = GaugeMetricFamily(
                    "accord_task_queue_depth", "Background tasks by state (ready: waiting to run).", labels=["state"]
                )
                for state in ("READY", "RUNNING"):
                    queue.add_metric([state.lower()], DBTaskResult.objects.filter(status=state).count())
                yield queue
            beat = worker_heartbeat()
        except DatabaseError as exc:
            log.warning("metrics: the database did not answer (%s); its figures are left out", type(exc).__name__)
            return
        if beat is not None:
            yield GaugeMetricFamily(
                "accord_worker_heartbeat_age_seconds",
                "Seconds since a background worker (accord worker) last reported alive.",
                value=max(0.0, time.time() - beat),
            )


_SCRAPED = ScrapeCollector()
if multiprocess_dir() is None:
    REGISTRY.register(_SCRAPED)


def _registry() -> CollectorRegistry:
    if multiprocess_dir() is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(_SCRAPED)
    return registry


def metrics_allowed(request: HttpRequest) -> bool:
    """A Bearer token equal to ``ACCORD_METRICS_TOKEN``, or a client address within
    ``ACCORD_METRICS_ALLOW`` (the address the outermost trusted proxy saw, see ``client_ip``)."""
    token = settings.ACCORD_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return _within(address, settings.ACCORD_METRICS_ALLOW)


def _within(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Iterable[str]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics``: the Prometheus text format, to an allowed scraper; anyone else gets the
    404 of a page that does not exist."""
    if request.method not in ("GET", "HEAD") or not metrics_allowed(request):
        raise Http404
    flush_tallies()
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
