"""Webhook fan-out benchmark: one 100,000-object submission with 20 webhooks taking every new object.

The ingest must keep its pace: deliveries are queued for the worker after it commits, never sent
inside it. Ingests a bundle with no webhook, then another of the same size with 20 webhooks of
other organisations subscribed to ``object.visible`` (tasks queued in the database, as in
production), and prints both rates and what the ingest queued; then the worker's share: the scan
that queues one delivery per webhook, and one webhook's whole delivery to a receiver on
127.0.0.1 (objects per second through the TAXII read, signing and HTTP).
``python -m bench.notifications [OBJECTS] [WEBHOOKS]``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import fresh_store
from bench.ingest import _objects

BUNDLE_HEAD = b'{"type": "bundle", "id": "bundle--6e0092c5-5f74-4287-9642-33f4c354e56d", "objects": ['


def run(objects: int = 100_000, webhooks: int = 20) -> None:
    """In a fresh process, on a store of its own."""
    subprocess.run([sys.executable, "-m", "bench.notifications", str(objects), str(webhooks)], check=True)  # noqa: S603


def _bundle(path: Path, objects: int, offset: int) -> None:
    import orjson

    with path.open("wb") as out:
        out.write(BUNDLE_HEAD)
        for n, item in enumerate(_objects(objects + offset)):
            if n < offset:
                continue
            out.write(b"," * (n > offset) + orjson.dumps(item))
        out.write(b"]}")


def _receiver() -> tuple[ThreadingHTTPServer, dict[str, int]]:
    seen = {"requests": 0, "bytes": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen["requests"] += 1
            seen["bytes"] += len(body)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def _ingest(organisation: Any, path: Path) -> tuple[float, Any]:
    from accord.sharing.services import submission_create, submission_process

    start = time.perf_counter()
    with path.open("rb") as stream:
        submission, _ = submission_create(actor=None, organisation=organisation, stream=stream, filename=path.name)
    submission = submission_process(submission_id=submission.pk)
    elapsed = time.perf_counter() - start
    assert (submission.status, submission.rejected_count) == ("done", 0), submission.errors[:3]  # noqa: S101
    return elapsed, submission


def _main(objects: int, hooks: int) -> None:
    fresh_store("accord-bench-notify-")
    os.environ["ACCORD_TASK_BACKEND"] = "database"  # queued for the worker, as in production
    os.environ["ACCORD_WEBHOOK_ALLOW_LOOPBACK"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from accord.core.choices import Role
    from accord.core.models import Organisation, User
    from accord.notifications.events import OBJECT_VISIBLE
    from accord.notifications.models import Webhook, WebhookDelivery
    from accord.notifications.services import webhook_attempt, webhook_create, webhooks_scan

    call_command("init", "--no-static", verbosity=0)
    call_command("demo", "--no-init", stdout=io.StringIO())
    home = Path(os.environ["ACCORD_HOME"])
    kestrel = Organisation.objects.get(short_name="Kestrel")
    server, seen = _receiver()
    url = f"http://127.0.0.1:{server.server_address[1]}/events"

    first, second = home / "bench-notify-1.json", home / "bench-notify-2.json"
    _bundle(first, objects, 0)
    _bundle(second, objects, objects)
    baseline, _ = _ingest(kestrel, first)

    makers = list(
        User.objects.filter(role=Role.PARTNER_CONTRIBUTOR, is_active=True).exclude(organisation=kestrel).order_by("pk")
    )
    made = []
    for n in range(hooks):
        webhook, _ = webhook_create(
            actor=makers[n % len(makers)], name=f"bench-{n:02}", url=url, event_types=[OBJECT_VISIBLE]
        )
        made.append(webhook.pk)
    Webhook.objects.filter(pk__in=made).update(cursor_at=timezone.now())  # what is shared from now on
    tasks_before = DBTaskResult.objects.count()
    deliveries_before = WebhookDelivery.objects.count()
    with_hooks, _ = _ingest(kestrel, second)
    queued_tasks = DBTaskResult.objects.count() - tasks_before
    made_deliveries = WebhookDelivery.objects.count() - deliveries_before

    print(f"\nWebhook fan-out ({objects} STIX objects, {hooks} webhooks taking every new object, {connection.vendor})")
    print(f"  ingest, no webhook    {baseline:8.2f} s   {objects / baseline:10.0f} objects/s")
    print(
        f"  ingest, {hooks} webhooks  {with_hooks:8.2f} s   {objects / with_hooks:10.0f} objects/s"
        f"   ratio {with_hooks / baseline:5.2f} (target <= 1.10; ingest target >= 20000 objects/s)"
    )
    print(
        f"  inside the ingest     {made_deliveries} deliveries made, {seen['requests']} requests sent, "
        f"{queued_tasks} tasks queued after it committed"
    )

    start = time.perf_counter()
    queued = webhooks_scan()
    scan = time.perf_counter() - start
    print(
        f"  worker: scan          {scan:8.2f} s   {queued} object.visible deliveries queued"
        " (one per webhook whose organisation may read what was shared)"
    )

    sent = 0
    start = time.perf_counter()
    while True:
        pending = list(
            WebhookDelivery.objects.filter(webhook_id=made[0], status="pending").values_list("pk", flat=True)
        )
        if not pending:
            break
        for pk in pending:
            delivery = webhook_attempt(delivery_id=pk)
            sent += delivery.object_count if delivery is not None else 0
    delivered = time.perf_counter() - start
    print(
        f"  worker: one webhook   {delivered:8.2f} s   {sent} objects in {seen['requests']} signed POSTs"
        f"   {sent / max(delivered, 1e-9):10.0f} objects/s ({seen['bytes'] / 1e6:.1f} MB)"
    )
    server.shutdown()


if __name__ == "__main__":
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    _main(numbers[0] if numbers else 100_000, numbers[1] if len(numbers) > 1 else 20)
