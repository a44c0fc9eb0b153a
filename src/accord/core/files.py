"""The raw store: the bytes partners submitted, content-addressed by SHA-256 and immutable once
written, in Django's storage ``STORAGES["raw"]`` (``ACCORD_RAW_STORAGE``).

Two kinds serve it. The local file system (the default, under ``MEDIA_ROOT``) writes each file
beside its name and renames it into place once whole and flushed, so a crash leaves no part of
a file under a name that says it is whole (Django's own file storage writes in place). An
S3-compatible bucket (through django-storages and boto3) is for hosts that share no file
system (:class:`accord.core.objectstore.ObjectStorage`); an object there is visible only once
its upload is complete, and boto3 sends a checksum of what it uploads that the server checks.

Whatever the kind, a store that cannot be reached or refuses the request raises
:class:`FileStoreUnavailable`, which :mod:`accord.core.faults` tells the asker as a 503: an
operators' problem, and nothing of the request was kept.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

__all__ = [
    "RAW",
    "AtomicFileSystemStorage",
    "FileStoreUnavailable",
    "is_local",
    "raw_open",
    "raw_put",
    "raw_store",
    "reaching",
]

log = logging.getLogger(__name__)

RAW = "raw"


class FileStoreUnavailable(Exception):  # noqa: N818 - named for what the asker is told
    """The file store could not be reached, or refused the request (the object store down,
    wrong credentials, a missing bucket): the operators' problem, never the asker's."""


class AtomicFileSystemStorage(FileSystemStorage):
    """Files on the local file system that appear under their name whole or not at all: written
    to a hidden file in the same folder, flushed to disk, then renamed over the name. A name
    already there is replaced by the same bytes (the raw store is content-addressed), so two
    processes storing the same submission at once both succeed and leave one file."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**{"allow_overwrite": True, **options})

    def _save(self, name: str, content: File[bytes]) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        fd, incoming = tempfile.mkstemp(prefix=".incoming-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                out.flush()
                os.fsync(out.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(incoming, self.file_permissions_mode)
            os.replace(incoming, full_path)
        except BaseException:
            with _ignored():
                os.unlink(incoming)
            raise
        return str(name).replace("\\", "/")


@contextmanager
def _ignored() -> Iterator[None]:
    try:
        yield
    except FileNotFoundError:
        pass


def raw_store() -> Storage:
    """The storage of the raw submissions (``STORAGES["raw"]``)."""
    return storages[RAW]


def is_local(store: Storage) -> bool:
    """Whether ``store`` keeps its files on this host's file system (where ``path`` works)."""
    return isinstance(store, FileSystemStorage)


def _store_errors() -> tuple[type[Exception], ...]:
    """What boto3 raises when the store fails (nothing, where boto3 is not installed: the local
    file system's own faults are ``OSError``, told by :mod:`accord.core.faults`)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - django-storages[s3] is a dependency
        return ()
    return (BotoCoreError, ClientError)


@contextmanager
def reaching(store: Storage) -> Iterator[None]:
    """Turn the object store's failures into :class:`FileStoreUnavailable` (the driver's text,
    which names the bucket and endpoint, goes to the log only)."""
    try:
        yield
    except _store_errors() as error:
        log.error("file store %s failed: %s", type(store).__name__, error)
        raise FileStoreUnavailable(f"the file store could not be reached or refused: {type(error).__name__}") from error


def raw_put(name: str, content: File[bytes]) -> None:
    """Store ``content`` under the content address ``name`` unless it is there already (the same
    name is the same bytes); once this returns the file is whole under its name."""
    store = raw_store()
    with reaching(store):
        if store.exists(name):
            return
        saved = store.save(name, content)
    if saved != name:
        raise FileStoreUnavailable(f"the file store kept {saved!r} instead of {name!r}: it must keep names as given")


@contextmanager
def raw_open(name: str) -> Iterator[IO[bytes]]:
    """The raw file ``name`` open for reading, fetched whole before this returns (from an object
    store into a local spool that passes 8 MB to disk), so that reading it fails for no reason of
    the store's."""
    store = raw_store()
    with reaching(store):
        handle = store.open(name, "rb")
        inner = handle.file  # an object store's file is fetched on first access: now, not mid-read
    if inner is None:
        raise FileNotFoundError(name)
    with handle:
        yield inner
