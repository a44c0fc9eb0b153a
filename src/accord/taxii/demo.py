"""Demo data of TAXII: the standard collections (an inbox per partner that shares, everything,
one per region) and an operation's collection, so the TAXII pages show what to connect to."""

from __future__ import annotations

from typing import Any

from accord.taxii.choices import CollectionKind
from accord.taxii.services import collection_create, collections_sync

__all__ = ["load"]


def load() -> list[Any]:
    collections_sync()
    collection_create(
        kind=CollectionKind.OPERATION,
        alias="operation-first-light",
        title="Operation First Light: business e-mail compromise",
        description="Indicators of the joint operation against BEC and the phishing behind it.",
        spec={"crime_type": ["bec", "phishing"]},
    )
    return []
