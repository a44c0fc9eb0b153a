"""Small STIX 2.1 objects and bundles for the tests."""

from __future__ import annotations

from typing import Any

import orjson

BUNDLE_ID = "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"
STAMP = "2026-05-01T12:00:00.000Z"


def indicator(n: int, pattern: str, **extra: Any) -> dict[str, Any]:
    """An indicator with a fixed id derived from ``n``."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012}",
        "created": STAMP,
        "modified": STAMP,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": STAMP,
    } | extra


def person(key: str = "aa", **extra: Any) -> dict[str, Any]:
    """An individual's identity (personal data), with a fixed id ending in ``key``."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--00000000-0000-4000-8000-0000000000{key}",
        "created": STAMP,
        "modified": STAMP,
        "name": "J. Doe",
        "identity_class": "individual",
    } | extra


def bundle(*objects: dict[str, Any], **fields: Any) -> bytes:
    return orjson.dumps({"type": "bundle", "id": BUNDLE_ID, "objects": list(objects)} | fields)
