"""Export benchmark: every format over a store of OBJECTS indicators, through the API's stack.

Ingests a generated bundle (``bench.ingest.write_bundle``: ipv4, domains, URLs, hashes, e-mails)
as a partner, then exports it as the host's analyst with ``GET /api/v1/exports/<format>/``
(Django's test client, the streamed body read chunk by chunk and dropped). Prints objects per
second, output size, and the peak of Python memory during the export (``tracemalloc``, a second
pass) next to the size of the file: flat memory means the peak does not follow the file.
``python -m bench.exports [OBJECTS]`` (``make bench`` runs it at 100,000).
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc

from bench.common import demo_store

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
    os.environ.setdefault("ACCORD_ALLOWED_HOSTS", "testserver")
    total = demo_store("accord-bench-exports-", objects)
    from django.test import Client

    from accord.core.models import User
    from accord.core.services import token_issue

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

    print(f"\nExports ({total} objects in the store; as the host's analyst)")
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
