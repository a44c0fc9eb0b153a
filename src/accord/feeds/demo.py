"""Demo feeds: partners' own sources, registered but disabled (the demo has no network)."""

from __future__ import annotations

from typing import Any

from accord.core.models import Organisation
from accord.feeds.models import Feed
from accord.feeds.services import feed_add, feed_update

DEMO_TOKEN = "demo-token-not-real"  # the demo's sources do not exist
FEEDS: list[dict[str, Any]] = [
    {
        "name": "kestrel-taxii",
        "kind": "taxii",
        "url": "https://taxii.kestrel-labs.example/taxii2/api/",
        "collection": "5d2e8f61-3c4b-4a7e-9f10-2b6c8d4e7a13",
        "username": "accord-hub",
        "short": "Kestrel",
        "interval_minutes": 30,
    },
    {
        "name": "atlas-mule-accounts",
        "kind": "misp",
        "url": "https://misp.atlas-bank.example/feeds/mule-accounts/",
        "short": "Atlas Bank",
        "interval_minutes": 240,
    },
]


def load() -> list[Any]:
    for spec in FEEDS:
        organisation = Organisation.objects.filter(short_name=spec["short"], status="active").first()
        if organisation is None or Feed.objects.filter(name=spec["name"]).exists():
            continue
        arguments = {k: v for k, v in spec.items() if k != "short"}
        feed = feed_add(actor=None, organisation=organisation, token=DEMO_TOKEN, **arguments)
        feed_update(actor=None, feed=feed, enabled=False)
    return []
