"""The raw store in S3-compatible object storage (``ACCORD_RAW_STORAGE=s3``), against a real S3
endpoint on this machine (moto's server, a separate process on 127.0.0.1; no network): a
submission over the API lands in the bucket and the ingest, inline or in ``accord worker``, reads
it back; ``accord backup`` reads the bucket and ``accord restore`` fills a fresh one; the store
stopped is a clear 503 (or a clear failure of the ingest or the backup) with nothing half-stored.
And the local raw store never shows a partly written file under its name."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files import File
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.core.files import FileStoreUnavailable
from accord.core.models import AuditEvent
from accord.sharing.models import StixObject, Submission
from accord.sharing.services import submission_process
from tests.core.test_backup import fresh_database  # noqa: F401  (a fixture)
from tests.factories import make_agreement
from tests.sharing.test_ingest import GOOD, post

ACCORD = str(Path(sys.executable).with_name("accord"))
MOTO = str(Path(sys.executable).with_name("moto_server"))
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "accord-test", "AWS_SECRET_ACCESS_KEY": "accord-test-secret"}
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ObjectStore:
    """An S3 endpoint of its own, in a process of its own, that a test may stop."""

    process: subprocess.Popen[bytes]
    endpoint: str

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **_keys())

    def bucket(self) -> str:
        name = f"accord-raw-{uuid.uuid4().hex[:8]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> dict[str, bytes]:
        client = self.client()
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}

    def env(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """What an operator sets to keep the raw store in ``bucket``."""
        return {
            "ACCORD_RAW_STORAGE": "s3",
            "ACCORD_RAW_S3_BUCKET": bucket,
            "ACCORD_RAW_S3_ENDPOINT_URL": self.endpoint,
            "ACCORD_RAW_S3_REGION": REGION,
            "ACCORD_RAW_S3_PREFIX": prefix,
            **CREDENTIALS,
        }

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


@pytest.fixture
def object_store(tmp_path: Path) -> Iterator[ObjectStore]:
    port = _free_port()
    log = (tmp_path / "moto.log").open("wb")
    process = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    store = ObjectStore(process, f"http://127.0.0.1:{port}")
    try:
        for _ in range(600):  # until it listens (a readiness poll, not a timing assertion)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "moto.log").read_text()
                time.sleep(0.1)
        yield store
    finally:
        process.kill()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def raw_in_bucket(object_store: ObjectStore, settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """This process keeps its raw store in a new bucket, as ``ACCORD_RAW_STORAGE=s3`` sets it up."""
    bucket = object_store.bucket()
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = settings.STORAGES | {
        "raw": {
            "BACKEND": "accord.core.objectstore.ObjectStorage",
            "OPTIONS": {"bucket_name": bucket, "endpoint_url": object_store.endpoint, "region_name": REGION},
        }
    }
    return bucket


@pytest.fixture
def sharing(partner: Any, people: Any, settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_agreement(partner)


def _address(digest: str) -> str:
    return f"submissions/{digest[:2]}/{digest}"


@pytest.mark.django_db
def test_a_submission_over_the_api_is_stored_in_the_bucket_and_read_back_by_the_ingest(
    api_for, sharing, raw_in_bucket, object_store, settings
):
    response = post(api_for("partner_contributor"), GOOD)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["objects_count"], body["new_count"]) == ("done", 3, 3)
    assert object_store.keys(raw_in_bucket) == {_address(hashlib.sha256(GOOD).hexdigest()): GOOD}
    assert not (Path(settings.MEDIA_ROOT) / "submissions").exists()  # nothing on the local disk

    again = post(api_for("partner_contributor"), GOOD)  # the same bytes: the same submission, one object
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert len(object_store.keys(raw_in_bucket)) == 1


@pytest.mark.django_db(transaction=True)  # the worker closes its connections between rounds
def test_accord_worker_reads_a_queued_submission_from_the_bucket(
    api_for, sharing, raw_in_bucket, object_store, settings, django_capture_on_commit_callbacks
):
    settings.ACCORD_INLINE_SUBMISSION_BYTES = 0  # to the worker
    settings.ACCORD_PARALLEL_INGEST_BYTES = 0  # read in a reading process of its own, as large files are
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_for("partner_contributor"), GOOD)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    submission = Submission.objects.get()
    assert submission.status == "queued"
    call_command("worker", batch=True, stdout=io.StringIO())
    submission.refresh_from_db()
    assert (submission.status, submission.new_count) == ("done", 3)
    assert StixObject.objects.count() == 3


@pytest.mark.django_db
def test_the_object_store_stopped_is_a_clear_503_and_nothing_is_kept(api_for, sharing, raw_in_bucket, object_store):
    object_store.stop()
    response = post(api_for("partner_contributor"), GOOD)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    error = response.json()["error"]
    assert error["code"] == "file_store_unavailable"
    assert error["message"].startswith("Accord's file store cannot be reached")
    assert "127.0.0.1" not in error["message"] and raw_in_bucket not in error["message"]
    assert Submission.objects.count() == 0
    assert not AuditEvent.objects.filter(action="submission.create").exists()


@pytest.mark.django_db
def test_the_object_store_stopped_before_the_worker_reads_fails_the_ingest_saying_so(
    api_for, sharing, raw_in_bucket, object_store, settings
):
    settings.ACCORD_INLINE_SUBMISSION_BYTES = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert post(api_for("partner_contributor"), GOOD).status_code == 202
    submission = Submission.objects.get()
    object_store.stop()
    with pytest.raises(FileStoreUnavailable):
        submission_process(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == "failed"
    assert "file store could not be reached" in submission.errors[0]["message"]
    assert "send it again" in submission.errors[0]["message"]
    assert StixObject.objects.count() == 0


def accord(home: Path, database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "AWS_"))}
    environment |= {"ACCORD_HOME": str(home), "ACCORD_DATABASE_URL": database_url, **env}
    return subprocess.run([ACCORD, *args], capture_output=True, text=True, env=environment, timeout=300, check=False)


def _line(output: str, start: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(start))


@pytest.mark.django_db(transaction=True)
def test_backup_reads_the_bucket_and_restore_fills_a_fresh_one(
    api_for,
    sharing,
    raw_in_bucket,
    object_store,
    tmp_path,
    fresh_database,  # noqa: F811
):
    client = api_for("partner_contributor")
    sent = [GOOD, b"type,value\nipv4,198.51.100.23\ndomain,bucket.example\n"]
    for n, data in enumerate(sent):
        assert post(client, data, f"feed-{n}.{'json' if n == 0 else 'csv'}").status_code == 201
    archive = tmp_path / "accord.tar"
    printed = io.StringIO()
    call_command("backup", str(archive), stdout=printed, stderr=io.StringIO())
    assert "Stored files: 2." in printed.getvalue()

    fresh = object_store.bucket()  # a fresh machine, a fresh bucket
    home = tmp_path / "restored"
    restored = accord(home, fresh_database, "restore", str(archive), **object_store.env(fresh, prefix="accord"))
    assert restored.returncode == 0, restored.stderr
    assert _line(restored.stdout, "Counts:") == _line(printed.getvalue(), "Counts:")
    assert f"submissions in bucket {fresh}/accord" in restored.stderr
    assert object_store.keys(fresh) == {f"accord/{_address(hashlib.sha256(d).hexdigest())}": d for d in sent}
    assert not (home / "media" / "submissions").exists()
    verified = accord(home, fresh_database, "audit", "verify", **object_store.env(fresh, prefix="accord"))
    assert verified.returncode == 0 and "Audit chain intact" in verified.stdout, verified.stderr

    # The restored installation's backup reads its own bucket: the same files again.
    second = tmp_path / "again.tar"
    again = accord(home, fresh_database, "backup", str(second), **object_store.env(fresh, prefix="accord"))
    assert again.returncode == 0, again.stderr
    assert "Stored files: 2." in again.stdout


@pytest.mark.django_db(transaction=True)
def test_a_backup_with_the_object_store_stopped_says_so_and_writes_no_archive(
    api_for, sharing, raw_in_bucket, object_store, tmp_path
):
    assert post(api_for("partner_contributor"), GOOD).status_code == 201
    object_store.stop()
    archive = tmp_path / "accord.tar"
    with pytest.raises(CommandError, match="The raw file store could not be read .*no archive was written"):
        call_command("backup", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    assert not list(tmp_path.glob("accord.tar*"))


def test_the_raw_store_is_checked_when_accord_starts(tmp_path):
    database = f"sqlite:///{tmp_path / 'accord.sqlite3'}"
    unknown = accord(tmp_path, database, "check", ACCORD_RAW_STORAGE="ftp")
    assert unknown.returncode != 0
    assert "ACCORD_RAW_STORAGE: 'ftp' is neither 'file' nor 's3'." in unknown.stderr
    no_bucket = accord(tmp_path, database, "check", ACCORD_RAW_STORAGE="s3")
    assert no_bucket.returncode != 0
    assert "ACCORD_RAW_STORAGE=s3 needs ACCORD_RAW_S3_BUCKET" in no_bucket.stderr


class _BrokenUpload(io.RawIOBase):
    """A megabyte, then the disk (or the network it came from) fails."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.sent >= 1 << 20:
            raise OSError(errno.EIO, "Input/output error")
        buffer[: len(buffer)] = b"x" * len(buffer)
        self.sent += len(buffer)
        return len(buffer)


def test_the_local_raw_store_never_shows_a_partly_written_file(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = _address("ab" + "0" * 62)
    with pytest.raises(OSError, match="Input/output error"):
        storages["raw"].save(name, File(io.BufferedReader(_BrokenUpload())))
    assert not storages["raw"].exists(name)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # nor the file it was writing

    storages["raw"].save(name, File(io.BytesIO(b"whole")))
    storages["raw"].save(name, File(io.BytesIO(b"whole")))  # the same address again: kept, not renamed
    assert [p.name for p in (tmp_path / "submissions" / "ab").iterdir()] == [name.rsplit("/", 1)[1]]
    assert (tmp_path / name).read_bytes() == b"whole"
    assert oct((tmp_path / name).stat().st_mode & 0o777) == "0o644"
