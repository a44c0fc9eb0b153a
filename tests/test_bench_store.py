"""The benchmarks' store generator (bench.store) and the scale benchmark's refusal of SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.db import connection

from accord.core.models import Organisation
from accord.sharing.choices import SentForm
from accord.sharing.models import ObjectObservable, Observable, StixObject
from accord.sharing.sent import sent_form
from bench.store import populate

ROOT = Path(__file__).resolve().parents[1]


def _indexes() -> set[str]:
    tables = [StixObject._meta.db_table, Observable._meta.db_table, ObjectObservable._meta.db_table]
    with connection.cursor() as cursor:
        return {
            index["columns"].__repr__() + name
            for table in tables
            for name, index in connection.introspection.get_constraints(cursor, table).items()
            if index["index"]
        }


def test_populate_in_chunks_writes_every_object_its_values_once(host: Organisation, capsys: Any) -> None:
    """Chunks cut through clusters of repeated values: a value is written once and every link
    names rows that exist; the tables keep every index they had."""
    indexes = _indexes()
    populate(1200, chunk=97, chain=50)  # a chunk boundary inside the chain and inside clusters
    assert "1200 objects" in capsys.readouterr().out
    assert StixObject.objects.count() == 1200
    assert Observable.objects.count() == Observable.objects.values("type", "value").distinct().count()
    links = ObjectObservable.objects.count()
    assert (
        links
        == ObjectObservable.objects.filter(
            stix_object__in=StixObject.objects.all(), observable__in=Observable.objects.all()
        ).count()
    )
    assert StixObject.objects.filter(links__isnull=True).count() == 0
    mentioned = Observable.objects.filter(links__isnull=False).distinct().count()
    assert links > mentioned > 1200  # each object's own value, and values repeated across objects
    assert _indexes() == indexes
    # each recorded as an ingest records it: how its body is sent when nothing is withheld (as
    # stored, its TLP marking appended; a store of "read and rewritten" would page slower)
    rows = StixObject.objects.values_list("body", "tlp", "sent_form")
    assert {(form, sent_form(body, tlp)) for body, tlp, form in rows} == {(SentForm.MARKED, SentForm.MARKED)}
    again = Observable.objects.create(type="domain", value="after.bench.example")  # ids go on past the load's
    assert again.pk > Observable.objects.exclude(pk=again.pk).order_by("-pk").values_list("pk", flat=True)[0]


def test_scale_benchmark_refuses_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")} | {
        "ACCORD_HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.scale", "1000"], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "runs on PostgreSQL only" in result.stderr
    assert not list(tmp_path.iterdir())  # nothing was built
