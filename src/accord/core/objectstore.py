"""An S3-compatible bucket as the raw store (``ACCORD_RAW_STORAGE=s3``), through django-storages
and boto3; imported only when the setting names it."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from storages.backends.s3 import S3Storage

__all__ = ["ObjectStorage"]


class ObjectStorage(S3Storage):  # type: ignore[misc]  # django-storages has no types
    """An S3-compatible bucket (AWS S3, MinIO, Ceph, Garage …) as Accord's raw store, with the
    defaults content-addressed files want: a name is always kept as given (the same name holds
    the same bytes), no public ACL, a file read back spills to disk past 8 MB, and a store that
    does not answer fails within seconds instead of retrying for minutes."""

    def get_default_settings(self) -> dict[str, Any]:
        defaults: dict[str, Any] = super().get_default_settings()
        return defaults | {
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": False,
            "max_memory_size": 8 * 1024 * 1024,
            "client_config": Config(
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        }
