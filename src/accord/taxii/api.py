"""The TAXII 2.1 endpoints (OASIS TAXII Version 2.1, §4 and §5): media types, authentication,
``limit``/``next``/``added_after``, status codes and envelopes. Thin: reads come from
:mod:`accord.taxii.selectors` (through the policy), writes from :mod:`accord.taxii.services`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import wraps
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from accord.core.choices import TokenScope
from accord.core.errors import ApplicationError
from accord.core.metrics import TAXII_READS
from accord.core.models import User
from accord.core.services import token_authenticate
from accord.policy import PrincipalContext, principal_context
from accord.sharing.choices import SubmissionStatus
from accord.sharing.services import personal_data_consulted
from accord.taxii import selectors, services
from accord.taxii.filters import ObjectQuery, parse_timestamp, stamp
from accord.taxii.models import Status
from accord.taxii.paging import Position, next_decode, next_encode

__all__ = [
    "MEDIA_TYPE",
    "api_root",
    "collection",
    "collections",
    "discovery",
    "manifest",
    "object_detail",
    "object_versions",
    "objects",
    "status",
    "withdrawn",
]

MEDIA_TYPE = "application/taxii+json;version=2.1"
API_ROOT = "api"


class TaxiiError(Exception):
    """An error the protocol itself raises (media types, authentication, methods, limits)."""

    def __init__(self, http_status: int, title: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.http_status, self.title, self.description = http_status, title, description
        self.headers = headers or {}


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
}


def _respond(data: Any, http_status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    """A TAXII response: ``data`` encoded as JSON (or JSON bytes already), with ``headers``."""
    body = data if isinstance(data, bytes) else orjson.dumps(data)
    response = HttpResponse(body, status=http_status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _error(http_status: int, title: str, description: str, headers: dict[str, str] | None = None) -> HttpResponse:
    """The TAXII 2.1 error message (§3.6.1)."""
    body = {"title": title, "description": description, "http_status": str(http_status)}
    return _respond(body, http_status, headers)


def _media_type_ok(header: str) -> bool:
    """``application/taxii+json`` with ``version=2.1`` or no version (§1.6.8.1: the latest),
    parameter values quoted or not (RFC 9110 §5.6.6), unless refused with ``q=0``."""
    for item in header.split(","):
        parts = [p.strip().lower() for p in item.split(";")]
        if parts[0] != "application/taxii+json":
            continue
        params = {name.strip(): value.strip().strip('"') for name, _, value in (p.partition("=") for p in parts[1:])}
        if params.get("version", "2.1") == "2.1" and _weight(params.get("q", "1")) > 0:
            return True
    return False


def _weight(q: str) -> float:
    """A media range's ``q`` (RFC 9110 §12.4.2); a malformed one counts as 0."""
    try:
        return float(q)
    except ValueError:
        return 0.0


def _authenticate(request: HttpRequest) -> User:
    """HTTP Basic (username + API token as the password) or Bearer (§1.6.6 leaves the scheme to
    the server); the token needs the ``taxii`` scope."""
    challenge = {"WWW-Authenticate": 'Basic realm="accord-taxii", Bearer realm="accord-taxii"'}
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    username = None
    if scheme.lower() == "basic":
        try:
            username, _, secret = base64.b64decode(credential.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise TaxiiError(401, "Unauthorized", "Malformed Basic credentials.", challenge) from None
    elif scheme.lower() == "bearer":
        secret = credential.strip()
    else:
        raise TaxiiError(401, "Unauthorized", "Authenticate with Basic (username and API token) or Bearer.", challenge)
    token = token_authenticate(secret)
    if token is None or (username is not None and token.user.username != username):
        raise TaxiiError(401, "Unauthorized", "Invalid, expired or revoked API token.", challenge)
    if TokenScope.TAXII not in token.scopes:
        raise TaxiiError(403, "Forbidden", "This API token lacks the 'taxii' scope.")
    if request.method in ("POST", "DELETE") and TokenScope.WRITE not in token.scopes:
        raise TaxiiError(
            403,
            "Forbidden",
            "This API token lacks the 'write' scope: adding or deleting objects over TAXII needs 'taxii' and 'write'.",
        )
    return token.user


Handler = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[Handler], Handler]:
    """Wrap a TAXII endpoint: method, authentication, media types, and every error as a TAXII
    error message."""

    def wrap(view: Handler) -> Handler:
        reads = TAXII_READS.labels(endpoint=view.__name__)

        @csrf_exempt
        @wraps(view)
        def handle(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise TaxiiError(
                        405, "Method not allowed", f"Use {', '.join(methods)}.", {"Allow": ", ".join(methods)}
                    )
                user = _authenticate(request)
                request.user = user  # for the access line (the request's person and organisation)
                if not _media_type_ok(request.headers.get("Accept", "")):
                    raise TaxiiError(406, "Not acceptable", f"Send 'Accept: {MEDIA_TYPE}'.")
                response = view(request, user, *args, **kwargs)
                if request.method == "GET" and response.status_code == 200:
                    reads.inc()
                return response
            except TaxiiError as exc:
                return _error(exc.http_status, exc.title, exc.description, exc.headers)
            except ApplicationError as exc:
                return _error(exc.http_status, _TITLES.get(exc.http_status, "Error"), exc.message)

        return handle

    return wrap


def _root_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("taxii:api-root", args=[API_ROOT]))


def _check_root(api_root: str) -> None:
    if api_root != API_ROOT:
        raise TaxiiError(404, "Not found", f"No API root {api_root}; this server has /{API_ROOT}/.")


@endpoint("GET")
def discovery(request: HttpRequest, user: User) -> HttpResponse:
    """§4.1 Server Discovery."""
    root = _root_url(request)
    return _respond(
        {
            "title": "Accord TAXII 2.1",
            "description": "Cybercrime information shared under the programme's agreements.",
            "contact": settings.DEFAULT_FROM_EMAIL,
            "default": root,
            "api_roots": [root],
        }
    )


@endpoint("GET")
def api_root(request: HttpRequest, user: User, api_root: str) -> HttpResponse:
    """§4.2 Get API Root Information."""
    _check_root(api_root)
    return _respond(
        {
            "title": "Accord",
            "description": "Collections of shared objects, and an inbox per partner organisation.",
            "versions": [MEDIA_TYPE],
            "max_content_length": settings.ACCORD_TAXII_MAX_CONTENT_LENGTH,
        }
    )


def _status_body(status: Status) -> dict[str, Any]:
    """§4.3.1 the status resource, read from the submission the POST became: each object the
    submission refused is a failure with why, every other a success (stored, or held already);
    when the submission failed whole, every object is a failure."""
    submission = status.submission
    entries = [
        {"id": stix_id, "version": version or stamp(submission.created_at)} for stix_id, version in status.entries
    ]
    body: dict[str, Any] = {
        "id": str(status.id),
        "request_timestamp": stamp(status.request_timestamp),
        "total_count": len(entries),
        "success_count": 0,
        "failure_count": 0,
        "pending_count": 0,
    }
    if submission.status not in (SubmissionStatus.DONE, SubmissionStatus.FAILED):
        return body | {"status": "pending", "pending_count": len(entries), "pendings": entries}
    reasons, general = selectors.status_refusals(status)
    if submission.status == SubmissionStatus.DONE:
        failures = [entry | {"message": reasons[n]} for n, entry in enumerate(entries) if n in reasons]
        successes = [entry for n, entry in enumerate(entries) if n not in reasons]
    else:
        fallback = f"Not stored: nothing of the envelope was ({general})." if general else "Not stored."
        failures = [entry | {"message": reasons.get(n, fallback)} for n, entry in enumerate(entries)]
        successes = []
    body |= {"status": "complete", "success_count": len(successes), "failure_count": len(failures)}
    if submission.status == SubmissionStatus.DONE:
        body["successes"] = successes
    if failures:
        body["failures"] = failures
    return body


@endpoint("GET")
def status(request: HttpRequest, user: User, api_root: str, status_id: str) -> HttpResponse:
    """§4.3 Get Status."""
    _check_root(api_root)
    return _respond(_status_body(selectors.status_get(principal=user, status_id=status_id)))


def _collection_body(access: selectors.CollectionAccess) -> dict[str, Any]:
    """§5.2.1 the collection resource."""
    collection = access.collection
    return {
        "id": str(collection.id),
        "title": collection.title,
        "description": collection.description,
        "alias": collection.alias,
        "can_read": access.can_read,
        "can_write": access.can_write,
        "media_types": ["application/stix+json;version=2.1"],
    }


@endpoint("GET")
def collections(request: HttpRequest, user: User, api_root: str) -> HttpResponse:
    """§5.1 Get Collections: only those this person may read or write."""
    _check_root(api_root)
    found = selectors.collection_list(principal=user)
    return _respond({"collections": [_collection_body(a) for a in found]} if found else {})


@endpoint("GET")
def collection(request: HttpRequest, user: User, api_root: str, collection_id: str) -> HttpResponse:
    """§5.2 Get A Collection."""
    _check_root(api_root)
    return _respond(_collection_body(selectors.collection_get(principal=user, collection_id=collection_id)))


def _limit(request: HttpRequest) -> int:
    """``limit`` (§3.4): a positive integer, capped at the server's page size."""
    raw = request.GET.get("limit")
    cap = settings.ACCORD_TAXII_PAGE_SIZE
    if raw is None:
        return cap
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdigit()) or not digits:  # "²" is a digit to str.isdigit, not a number
        raise TaxiiError(400, "Bad request", f"limit: a positive integer (at most {cap} are returned).")
    return cap if len(digits) > len(str(cap)) else min(int(digits), cap)  # any length: capped, never parsed


@dataclass(frozen=True)
class _Read:
    """A read of a collection's objects: what it selects (in SQL, through the policy), where its
    page starts, and what its ``next`` token is bound to."""

    access: selectors.CollectionAccess
    source: selectors.Selection
    after: Position | None
    limit: int
    binding: str
    query: ObjectQuery
    context: PrincipalContext
    single: bool = False  # one object's last or first version: one row, never "more"

    def envelope(self, first: Position | None, last: Position | None, more: bool) -> tuple[dict[str, Any], _Headers]:
        """The envelope's ``more``/``next`` and the date-added headers of a page."""
        headers: _Headers = {}
        if first is not None and last is not None:
            headers = {"X-TAXII-Date-Added-First": stamp(first[0]), "X-TAXII-Date-Added-Last": stamp(last[0])}
        envelope: dict[str, Any] = {"more": more}
        if more and last is not None:
            envelope["next"] = next_encode(last, self.binding)
        return envelope, headers

    def page(self) -> tuple[list[selectors.Listed], dict[str, Any], _Headers]:
        """One page of versions as listed (manifest, versions), with envelope and headers."""
        rows, more = selectors.objects_page(self.source, after=self.after, limit=self.limit, context=self.context)
        first: Position | None = (rows[0].added, rows[0].pk) if rows else None
        last: Position | None = (rows[-1].added, rows[-1].pk) if rows else None
        envelope, headers = self.envelope(first, last, more)
        return rows, envelope, headers


_Headers = dict[str, str]


def _read(
    request: HttpRequest,
    user: User,
    collection_id: str,
    *,
    scope: str,
    stix_id: str | None = None,
    versions: tuple[str, ...] = ("last",),
) -> _Read:
    """A read of a collection's objects as the request's filters, ``limit`` and ``next`` say."""
    access = selectors.collection_get(principal=user, collection_id=collection_id)
    params = request.GET.dict()
    if stix_id is not None:
        params["match[id]"] = stix_id
    query = ObjectQuery.parse(params, default_versions=versions)
    if versions == ("all",):  # §5.8: the versions endpoint lists every version, whatever match[version] says
        query = replace(query, versions=("all",))
    context = principal_context(user)
    binding = query.fingerprint(scope, access.collection.pk, user.pk)
    token = request.GET.get("next")
    limit = _limit(request)  # checked even where one row is read
    single = query.single_version if token is None else None
    if single is not None:  # one object's last or first version: one row, in the order of its versions
        ordered = selectors.Selection(access, query, "newest" if single == "last" else "oldest")
        return _Read(access, ordered, None, 1, binding, query, context, single=True)
    after = next_decode(token, binding) if token else None
    return _Read(access, selectors.Selection(access, query), after, limit, binding, query, context)


def _objects_envelope(request: HttpRequest, user: User, collection_id: str, stix_id: str | None) -> HttpResponse:
    read = _read(
        request, user, collection_id, scope="objects" if stix_id is None else f"object:{stix_id}", stix_id=stix_id
    )
    page = selectors.objects_served(
        read.source, purpose=read.query.purpose, after=read.after, limit=read.limit, context=read.context
    )
    if stix_id is not None and not page.objects and "next" not in request.GET:
        raise TaxiiError(404, "Not found", f"No object {stix_id} in this collection (or you may not see it).")
    personal_data_consulted(
        actor=user,
        stix_ids=page.personal,
        purpose=read.query.purpose,
        via="taxii",
        collection=read.access.collection.alias,
    )
    envelope, headers = read.envelope(page.first, page.last, page.more and not read.single)
    data = orjson.dumps(envelope)
    if page.objects:  # the objects come as JSON already: spliced in, not decoded and encoded again
        data = b"".join((data[:-1], b',"objects":[', b",".join(page.objects), b"]}"))
    return _respond(data, headers=headers)


def _read_body(request: HttpRequest) -> bytes:
    """The POST body, refused beyond ``max_content_length`` (§4.2.1: 413) before it is read."""
    limit = settings.ACCORD_TAXII_MAX_CONTENT_LENGTH
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TaxiiError(413, "Too large", f"The body is larger than max_content_length ({limit} bytes).")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise TaxiiError(413, "Too large", f"The body is larger than max_content_length ({limit} bytes).")
    return body


@endpoint("GET", "POST")
def objects(request: HttpRequest, user: User, api_root: str, collection_id: str) -> HttpResponse:
    """§5.3 Get Objects (an envelope, paged) and §5.4 Add Objects (202 and a status resource)."""
    _check_root(api_root)
    if request.method == "POST":
        if not _media_type_ok(request.headers.get("Content-Type", "")):
            raise TaxiiError(415, "Unsupported media type", f"Send 'Content-Type: {MEDIA_TYPE}'.")
        access = selectors.collection_get(principal=user, collection_id=collection_id)
        created = services.objects_add(actor=user, access=access, body=lambda: _read_body(request))
        return _respond(_status_body(created), 202)
    return _objects_envelope(request, user, collection_id, None)


@endpoint("GET", "DELETE")
def object_detail(request: HttpRequest, user: User, api_root: str, collection_id: str, object_id: str) -> HttpResponse:
    """§5.5 Get An Object (its versions as filtered, default the last) and §5.7 Delete An Object."""
    _check_root(api_root)
    if request.method == "DELETE":
        access = selectors.collection_get(principal=user, collection_id=collection_id)
        query = ObjectQuery.parse(request.GET.dict(), default_versions=("all",))  # §5.7: all unless matched
        services.object_delete(actor=user, access=access, stix_id=object_id, query=query)
        return HttpResponse(status=200, content_type=MEDIA_TYPE)
    if object_id.startswith("marking-definition--"):  # kept apart from shared data, one version each
        access = selectors.collection_get(principal=user, collection_id=collection_id)
        query = ObjectQuery.parse(request.GET.dict(), default_versions=("all",))
        definition = selectors.marking_definition_get(
            context=principal_context(user), access=access, stix_id=object_id, query=query
        )
        return _respond({"more": False, "objects": [definition]})
    return _objects_envelope(request, user, collection_id, object_id)


@endpoint("GET")
def object_versions(
    request: HttpRequest, user: User, api_root: str, collection_id: str, object_id: str
) -> HttpResponse:
    """§5.8 Get Object Versions: every version you may see, oldest added first."""
    _check_root(api_root)
    read = _read(request, user, collection_id, scope=f"versions:{object_id}", stix_id=object_id, versions=("all",))
    rows, envelope, headers = read.page()
    if not rows and "next" not in request.GET:
        raise TaxiiError(404, "Not found", f"No object {object_id} in this collection (or you may not see it).")
    if rows:
        envelope["versions"] = [stamp(row.modified) for row in rows]
    return _respond(envelope, headers=headers)


@endpoint("GET")
def manifest(request: HttpRequest, user: User, api_root: str, collection_id: str) -> HttpResponse:
    """§5.6 Get Object Manifests: id, date added, version and media type of each object."""
    _check_root(api_root)
    read = _read(request, user, collection_id, scope="manifest")
    rows, envelope, headers = read.page()
    if rows:
        envelope["objects"] = [
            {
                "id": row.stix_id,
                "date_added": stamp(row.added),
                "version": stamp(row.modified),
                "media_type": f"application/stix+json;version={row.spec_version}",
            }
            for row in rows
        ]
    return _respond(envelope, headers=headers)


@endpoint("GET")
def withdrawn(request: HttpRequest, user: User, api_root: str, collection_id: str) -> HttpResponse:
    """Accord's extension beside §5.3: the versions of the collection withdrawn from the reader's
    organisation since ``since`` (its agreement suspended, the object revoked), oldest first,
    paged like the objects (``limit``, ``next``). TAXII 2.1 has no way to say that an object
    left a reader's view; a poller asks here with the ``date_withdrawn`` of the last entry it saw."""
    _check_root(api_root)
    access = selectors.collection_get(principal=user, collection_id=collection_id)
    since_text = request.GET.get("since")
    since = parse_timestamp(since_text, "since") if since_text else None
    binding = ObjectQuery(added_after=since).fingerprint("withdrawn", access.collection.pk, user.pk)
    token = request.GET.get("next")
    rows, more = selectors.withdrawals(
        context=principal_context(user),
        access=access,
        since=since,
        after=next_decode(token, binding) if token else None,
        limit=_limit(request),
    )
    body: dict[str, Any] = {"more": more}
    if more and rows:
        body["next"] = next_encode((rows[-1].withdrawn_at, rows[-1].pk), binding)
    if rows:
        body["withdrawn"] = [
            {"id": row.stix_id, "version": stamp(row.modified), "date_withdrawn": stamp(row.withdrawn_at)}
            for row in rows
        ]
    return _respond(body)
