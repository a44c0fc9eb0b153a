"""The backup archive: one tar file whose members are checksummed in a manifest written last.

Layout (every name under ``accord-backup/``)::

    database.sqlite3 | database.pgdump   the database snapshot
    media/<storage name>                 each stored file the snapshot refers to, whichever storage
                                         holds it (its manifest entry's ``storage``: ``raw`` for a
                                         submission's bytes, else ``default``)
    home/secret_key                      the installation's secret key, when it is a file
    manifest.json                        what the archive holds, with the SHA-256 of every member

Reading verifies every member against the manifest into a staging directory before anything
of the installation is touched, and refuses members the manifest does not list, members it
lists that are missing, and any name that would leave the staging directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import tarfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Any

import orjson

from accord.core.backup.databases import BackupError

__all__ = ["FORMAT", "FORMAT_VERSION", "ROOT", "ArchiveWriter", "read_manifest", "safe_name", "unpack"]

FORMAT = "accord-backup"
FORMAT_VERSION = 1
ROOT = "accord-backup"
MANIFEST = f"{ROOT}/manifest.json"
_CHUNK = 1 << 20


class _Hashing(io.RawIOBase):
    """A reader that hashes what passes through it."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.digest.update(data)
        return data


def safe_name(name: str) -> PurePosixPath:
    """A member or storage name as a relative path that stays where it is put, else an error."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts) or "\\" in name:
        raise BackupError(f"The archive names '{name}', which is not a plain relative path: refused.")
    return path


class ArchiveWriter:
    """Writes members into ``<path>.partial`` (mode 0600) and renames it to ``path`` once whole."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._tar = tarfile.open(fileobj=self._file, mode="w|gz" if path.name.endswith(("gz", ".tgz")) else "w|")
        self.members: dict[str, dict[str, Any]] = {}
        self.bytes = 0

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(f"{ROOT}/{name}")
        info.size, info.mode, info.mtime = size, 0o600, int(time.time())
        return info

    def add_file(self, name: str, source: Path) -> None:
        with source.open("rb") as handle:
            self.add_stream(name, handle, os.fstat(handle.fileno()).st_size)

    def add_stream(self, name: str, handle: IO[bytes], size: int, **noted: str) -> None:
        """Add ``size`` bytes read from ``handle`` (a stored file: it never changes once written);
        ``noted`` goes into the member's entry of the manifest (``storage``: where it goes back)."""
        hashing = _Hashing(handle)
        self._tar.addfile(self._info(name, size), hashing)
        self.members[f"{ROOT}/{name}"] = {"sha256": hashing.digest.hexdigest(), "size": size, **noted}
        self.bytes += size

    def add_bytes(self, name: str, data: bytes) -> None:
        self._tar.addfile(self._info(name, len(data)), io.BytesIO(data))
        self.members[f"{ROOT}/{name}"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        self.bytes += len(data)

    def finish(self, manifest: dict[str, Any]) -> None:
        data = orjson.dumps(manifest | {"members": self.members}, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        self._tar.addfile(self._info("manifest.json", len(data)), io.BytesIO(data))
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.partial, self.path)

    def abandon(self) -> None:
        with contextlib.suppress(OSError, tarfile.TarError):  # its end written, so it is not written when collected
            self._tar.close()
        self._file.close()
        self.partial.unlink(missing_ok=True)


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:*")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{path} is not an Accord backup archive (a tar file): {error}.") from error


def read_manifest(path: Path) -> dict[str, Any]:
    """The archive's manifest, checked for format and version."""
    with _open(path) as tar:
        try:
            member = tar.getmember(MANIFEST)
            handle = tar.extractfile(member)
            manifest = orjson.loads(handle.read()) if handle is not None else None
        except (KeyError, tarfile.TarError, orjson.JSONDecodeError) as error:
            raise BackupError(f"{path} has no readable {MANIFEST}: not an Accord backup, or damaged.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: its manifest is not an Accord backup manifest.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is in backup format {manifest.get('format_version')}; this Accord reads format {FORMAT_VERSION}."
        )
    if not isinstance(manifest.get("members"), dict):
        raise BackupError(f"{path}: its manifest lists no members.")
    return manifest


def unpack(
    path: Path, manifest: dict[str, Any], staging: Path, progress: Callable[[int, int], None] | None = None
) -> None:
    """Copy every member into ``staging`` (same relative names, under ``ROOT``), verifying each one's
    size and SHA-256 against the manifest; an error names the first member that differs."""
    expected: dict[str, dict[str, Any]] = manifest["members"]
    seen: set[str] = set()
    with _open(path) as tar:
        for member in tar:
            if member.name == MANIFEST:
                continue
            want = expected.get(member.name)
            if want is None:
                raise BackupError(f"Archive member {member.name} is not in the manifest: the archive was altered.")
            if not member.isfile():
                raise BackupError(f"Archive member {member.name} is not a regular file: refused.")
            target = staging / safe_name(member.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                raise BackupError(f"Archive member {member.name} cannot be read.")
            hashing = _Hashing(source)
            with target.open("wb") as out:
                shutil.copyfileobj(hashing, out, _CHUNK)
            if member.size != want.get("size") or hashing.digest.hexdigest() != want.get("sha256"):
                raise BackupError(
                    f"Archive member {member.name} does not match its checksum in the manifest: the archive is "
                    "damaged or was altered. Nothing was restored."
                )
            seen.add(member.name)
            if progress is not None:
                progress(len(seen), member.size)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"The archive lacks {len(missing)} member(s) its manifest lists, first {missing[0]}.")
