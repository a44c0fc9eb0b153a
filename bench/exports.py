"""Export benchmark: every format over a store of OBJECTS indicators, through the API's stack.

Ingests a generated bundle (``bench.ingest.make_bundle``: ipv4, domains, URLs, hashes, e-mails)
as a partner, then exports it as the host's analyst with ``GET /api/v1/exports/<format>/``
(Django's test client, the streamed body read chunk by chunk and dropped). Prints objects per
second, output size, and the peak of Python memory during the export (``tracemalloc``, a second
pass) next to the size of the file: flat memory means the peak does not follow the file.
``python -m bench.exports [OBJECTS]`` (``make bench`` runs it at 100,000).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
import tracemalloc

FORMATS = [
    ("stix", {}),
    ("misp", {}),
    ("csv", {}),
    ("suricata", {}),
    ("snort", {}),
    ("rpz", {}),
    ("blocklist", {"observable_type": "ipv4"}),
]


def run(objects: int = 100_000) -> None:
    os.environ.setdefault("ACCORD_HOME", tempfile.mkdtemp(prefix="accord-bench-exports-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    os.environ.setdefault("ACCORD_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from accord.core.models import Organisation, User
    from accord.core.services import token_issue
    from accord.sharing.models import StixObject
    from accord.sharing.services import submission_create, submission_process
    from bench.ingest import make_bundle

    call_command("init", "--no-static", verbosity=0)
    if not Organisation.objects.filter(short_name="Kestrel").exists():
        call_command("demo", "--no-init", stdout=io.StringIO())
    kestrel = Organisation.objects.get(short_name="Kestrel")
    before = StixObject.objects.count()
    submission, _ = submission_create(
        actor=None,
        organisation=kestrel,
        stream=io.BytesIO(make_bundle(objects, seed=11)),
        filename="bench-exports.json",
    )
    submission = submission_process(submission_id=submission.pk)
    assert submission.status == "done", submission.errors[:3]
    total = StixObject.objects.count()
    analyst = User.objects.get(username="analyst")
    secret = token_issue(actor=None, user=analyst, name="bench-exports", scopes=["read"]).secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def export(fmt: str, params: dict[str, str]) -> tuple[int, int]:
        response = client.get(f"/api/v1/exports/{fmt}/", params)
        if response.status_code != 200:
            raise SystemExit(f"{fmt} answered {response.status_code}: {response.content[:300]!r}")
        size = 0
        for chunk in response.streaming_content:
            size += len(chunk)
        response.close()
        return int(response["X-Accord-Objects"]), size

    print(f"\nExports ({total} objects in the store, {total - before} just ingested; as the host's analyst)")
    for fmt, params in FORMATS:
        start = time.perf_counter()
        matched, size = export(fmt, params)
        elapsed = time.perf_counter() - start
        tracemalloc.start()
        export(fmt, params)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        label = fmt + (f" ({params['observable_type']})" if params else "")
        print(
            f"  {label:<18} {elapsed:7.2f} s  {matched / elapsed:9.0f} objects/s  "
            f"{size / 1e6:8.1f} MB out  peak Python memory {peak / 1e6:6.1f} MB"
        )


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
