"""An incremental TAXII poller (the OASIS ``taxii2-client``, as SIEMs and Accord's own feeds
poll) and the sharing it reads, for the late-arrival tests; its fixtures are in ``conftest``."""

from __future__ import annotations

import io
from typing import Any

import requests
from requests.auth import HTTPBasicAuth
from taxii2client.v21 import Collection, as_pages

from accord.core.models import Organisation, User
from accord.formats.markings import TLP2_IDS
from accord.sharing.services import submission_create, submission_process
from accord.taxii.api import MEDIA_TYPE
from tests.stix_samples import bundle, indicator
from tests.taxii.conftest import secret_for

__all__ = ["Poller", "at", "marked", "share", "version"]


def marked(n: int, tlp: str) -> dict[str, Any]:
    return indicator(n, f"[ipv4-addr:value = '198.51.100.{n}']", object_marking_refs=[TLP2_IDS[tlp]])


def share(organisation: Organisation, *objects: dict[str, Any]) -> set[tuple[str, str]]:
    """Objects shared by ``organisation`` under its agreement, through the ingest; their (id, version)."""
    submission, _ = submission_create(
        actor=None, organisation=organisation, stream=io.BytesIO(bundle(*objects)), format="stix"
    )
    assert submission_process(submission_id=submission.pk).status == "done"
    return {(o["id"], o["modified"]) for o in objects}


class _Seen(HTTPBasicAuth):
    """Basic credentials that remember the latest ``X-TAXII-Date-Added-Last`` answered."""

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        self.last = ""

    def __call__(self, request: Any) -> Any:
        request = super().__call__(request)
        request.register_hook("response", self._seen)
        return request

    def _seen(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        last = response.headers.get("X-TAXII-Date-Added-Last", "")
        self.last = max(self.last, last)


class Poller:
    """An incremental TAXII poller of one collection: every version, ``added_after`` the last
    date added it saw, two objects a request (so that pages cross both kinds of date added)."""

    def __init__(self, url: str, user: User) -> None:
        self.url = url
        self.auth = _Seen(user.username, secret_for(user, ("taxii",)))
        self.collection = Collection(url, auth=self.auth)
        self.cursor = ""

    def poll(self) -> set[tuple[str, str]]:
        received = []
        for page in as_pages(
            self.collection.get_objects, per_request=2, added_after=self.cursor or None, version="all"
        ):
            received += [(o["id"], o["modified"]) for o in page.get("objects", [])]
        assert len(received) == len(set(received)), "a version came twice in one poll"
        self.cursor = self.auth.last or self.cursor
        return set(received)

    def withdrawn(self, since: str = "") -> set[tuple[str, str]]:
        response = requests.get(
            f"{self.url}withdrawn/",
            params={"since": since} if since else {},
            headers={"Accept": MEDIA_TYPE},
            auth=HTTPBasicAuth(self.auth.username, self.auth.password),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        listed = [(w["id"], at(w["version"])) for w in response.json().get("withdrawn", [])]
        assert len(listed) == len(set(listed)), "a withdrawal listed twice"
        return set(listed)


def at(stamp: str) -> str:
    """A TAXII timestamp to the millisecond, as the objects carry theirs."""
    return f"{stamp[:23]}Z"


def version(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["id"], obj["modified"]
