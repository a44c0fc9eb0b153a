"""``accord backup`` while Accord writes, ``accord restore`` into a fresh installation: the same
counts and the same audit verdict; a tampered archive, a non-empty database and another vendor
are refused with nothing restored. Runs on whichever database the suite runs on."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from accord.core.audit import audit_record
from accord.core.services import organisation_create
from accord.partners.services import agreement_attach_document
from accord.sharing.models import Submission
from tests.factories import HostFactory, OrganisationFactory, make_agreement

pytestmark = pytest.mark.django_db(transaction=True)

ACCORD = str(Path(sys.executable).with_name("accord"))
DATA = Path(__file__).parents[1] / "data"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
POSTGRES = connection.vendor == "postgresql"
ESCAPE = "accord-backup/media/../../../evil"


def accord(home: Path, database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {"ACCORD_HOME": str(home), "ACCORD_DATABASE_URL": database_url, **env}
    return subprocess.run([ACCORD, *args], capture_output=True, text=True, env=environment, timeout=300, check=False)


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of the suite's vendor: a new SQLite file, or a new PostgreSQL database."""
    if not POSTGRES:
        yield f"sqlite:///{tmp_path / 'restored' / 'accord.sqlite3'}"
        return
    db = connection.settings_dict
    name = f"accord_restore_{uuid.uuid4().hex[:10]}"
    server = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"], "password": db["PASSWORD"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def populated(tmp_path: Path) -> str:
    """A host and a partner that shared three files and signed a PDF agreement; returns the partner."""
    HostFactory()
    partner = OrganisationFactory(name="Kestrel Threat Labs", country="GB")
    agreement = make_agreement(partner)
    for name in (
        "oasis/stix-indicator-for-c2-ip-address.json",
        "misp_event.json",
        "oasis/stix-malicious-email-indicator-with-attachment.json",
    ):
        call_command("import", str(DATA / name), "--org", partner.name, verbosity=0)
    agreement_attach_document(actor=None, agreement=agreement, name="signed.pdf", stream=io.BytesIO(PDF))
    return partner.name


def _write_while(partner: str, tmp_path: Path, stop: threading.Event, started: threading.Event) -> None:
    """Another writer: audit events, organisations and new submissions (new stored files) until told to stop."""
    try:
        n = 0
        while not stop.is_set():
            n += 1
            audit_record(actor=None, action="test.concurrent", details={"n": n})
            organisation_create(actor=None, name=f"Writer {n}", kind="academia", country="FR")
            path = tmp_path / f"concurrent-{n}.csv"
            path.write_text(f"type,value\nipv4,198.51.100.{n % 250}\ndomain,writer-{n}.example\n")
            call_command("import", str(path), "--org", partner, verbosity=0)
            if n >= 2:
                started.set()
    finally:
        started.set()
        connection.close()


def _backup_while_writing(partner: str, tmp_path: Path) -> tuple[Path, str]:
    archive = tmp_path / "accord.tar"
    stop, started = threading.Event(), threading.Event()
    writer = threading.Thread(target=_write_while, args=(partner, tmp_path, stop, started))
    writer.start()
    try:
        started.wait(timeout=120)
        out = io.StringIO()
        call_command("backup", str(archive), stdout=out, stderr=io.StringIO())
    finally:
        stop.set()
        writer.join(timeout=300)
    return archive, out.getvalue()


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return orjson.loads(tar.extractfile("accord-backup/manifest.json").read())


def _rewrite(archive: Path, target: Path, change) -> None:
    """A copy of ``archive`` with ``change(name, data)`` applied to every member's bytes."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as out:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))


def _line(output: str, start: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(start))


def test_backup_while_writing_restores_the_same_state_on_a_fresh_installation(populated, tmp_path, fresh_database):
    archive, printed = _backup_while_writing(populated, tmp_path)
    manifest = _manifest(archive)
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["audit"]["ok"] and manifest["audit"]["checked"] > 0
    assert manifest["counts"]["sharing.submission"] >= 3
    assert manifest["files"]["missing"] == []
    assert "agreements/" + hashlib.sha256(PDF).hexdigest() + ".pdf" in {
        name.split("media/", 1)[-1] for name in manifest["members"]
    }
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert Submission.objects.count() > manifest["counts"]["sharing.submission"]  # the writer went on after

    home = tmp_path / "restored"
    restored = accord(home, fresh_database, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert _line(restored.stdout, "Counts:") == _line(printed, "Counts:")
    assert _line(restored.stdout, "Audit chain:") == _line(printed, "Audit chain:")
    assert "every checksum matches" in restored.stderr

    verified = accord(home, fresh_database, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"Audit chain intact: {manifest['audit']['checked']} events verified." in verified.stdout
    for name in (n for n in manifest["members"] if "/media/submissions/" in n):
        stored = home / "media" / name.split("/media/", 1)[1]
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == stored.name  # content-addressed, whole
    assert (home / "media" / "agreements" / f"{hashlib.sha256(PDF).hexdigest()}.pdf").read_bytes() == PDF
    assert (home / "secret_key").read_text() == (django_settings.ACCORD_HOME / "secret_key").read_text()

    again = accord(home, fresh_database, "restore", str(archive))
    assert again.returncode == 1
    assert "The database is not empty" in again.stderr and "--force" in again.stderr
    forced = accord(home, fresh_database, "restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr
    assert _line(forced.stdout, "Counts:") == _line(printed, "Counts:")


def _tampered(archive: Path, target: Path, tamper: str) -> Path:
    """A copy of ``archive`` altered as ``tamper`` says."""

    def change(name: str, data: bytes) -> bytes:
        if tamper == "file" and name.endswith(".pdf"):
            return data.replace(b"Catalog", b"Catalug")
        if tamper == "database" and "/database." in name:
            return data[:-1] + bytes([data[-1] ^ 1])
        if tamper == "vendor" and name.endswith("manifest.json"):
            manifest = orjson.loads(data)
            manifest["database"]["vendor"] = "sqlite" if POSTGRES else "postgresql"
            return orjson.dumps(manifest)
        if tamper == "escape" and name.endswith("manifest.json"):  # listed, with its right checksum
            manifest = orjson.loads(data)
            manifest["members"][ESCAPE] = {"sha256": hashlib.sha256(b"evil").hexdigest(), "size": 4}
            return orjson.dumps(manifest)
        return data

    _rewrite(archive, target, change)
    if tamper == "escape":
        with tarfile.open(target, "a") as tar:
            member = tarfile.TarInfo(ESCAPE)
            member.size = 4
            tar.addfile(member, io.BytesIO(b"evil"))
    return target


def test_a_tampered_archive_or_another_vendors_is_refused_before_anything_is_restored(
    populated, tmp_path, fresh_database
):
    archive = tmp_path / "accord.tar"
    call_command("backup", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    other = "sqlite" if POSTGRES else "postgresql"
    expected = {
        "file": "does not match its checksum in the manifest: the archive is damaged or was altered. Nothing was",
        "database": "does not match its checksum in the manifest",
        "escape": f"The archive names '{ESCAPE}', which is not a plain relative path: refused.",
        "vendor": f"This archive holds a {other} database and this installation runs on {connection.vendor}",
    }
    home = tmp_path / "restored"
    for tamper, message in expected.items():
        result = accord(home, fresh_database, "restore", str(_tampered(archive, tmp_path / f"{tamper}.tar", tamper)))
        assert result.returncode == 1, tamper
        assert message in " ".join(result.stderr.split()), (tamper, result.stderr)
    assert not list((home / "media").rglob("*.pdf")) if (home / "media").exists() else True
    assert not (tmp_path / "evil").exists()
    if POSTGRES:
        script = "from django.db import connection as c; print(len(c.introspection.table_names()))"
        probe = accord(home, fresh_database, "shell", "--no-imports", "-c", script)
        assert probe.stdout.strip() == "0", probe.stderr
    else:
        assert not Path(fresh_database.removeprefix("sqlite:///")).exists()


def test_what_is_not_a_backup_is_named(tmp_path, fresh_database):
    bogus = tmp_path / "notes.tar"
    bogus.write_text("not a tar file")
    result = accord(tmp_path / "restored", fresh_database, "restore", str(bogus))
    assert result.returncode == 1
    assert "is not an Accord backup archive" in result.stderr


@pytest.mark.skipif(not POSTGRES, reason="pg_dump is PostgreSQL's")
def test_a_missing_pg_dump_is_a_clear_error(populated, tmp_path, settings):
    settings.ACCORD_PG_BIN_DIR = str(tmp_path / "no-postgres-here")
    result = io.StringIO()
    with pytest.raises(Exception, match="pg_dump not found .*ACCORD_PG_BIN_DIR"):
        call_command("backup", str(tmp_path / "accord.tar"), stdout=result, stderr=io.StringIO())
    assert not (tmp_path / "accord.tar").exists()
    assert not list(tmp_path.glob("accord.tar*"))
