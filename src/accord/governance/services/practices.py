"""The good-practices library."""

from __future__ import annotations

import hashlib
from typing import IO

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accord.core import guards
from accord.core.choices import Tlp
from accord.core.errors import Forbidden
from accord.core.guards import invalid, one_of
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.governance.choices import PracticeTopic
from accord.governance.models import GoodPractice, Group
from accord.governance.services._common import _audit
from accord.governance.services.groups import _is_member

# --- Good practices -------------------------------------------------------------------------------


@transaction.atomic
def practice_create(
    *,
    actor: User | None,
    group: Group,
    title: str,
    topic: str,
    body: str = "",
    tags: list[str] | None = None,
    tlp: str = Tlp.AMBER,
    stream: IO[bytes] | None = None,
    filename: str = "",
) -> GoodPractice:
    """Share a good practice (a note, a document or both) in a group's library. Programme
    managers and the group's current members may share; TLP:RED has no place in a library."""
    if actor is not None and not has_perm(actor, Perm.GOVERNANCE_MANAGE):
        if not _is_member(actor, [group], timezone.localdate()):
            raise Forbidden(f"Only members of {group.name} share in its library.")
    one_of("topic", topic, PracticeTopic)
    one_of("tlp", tlp, Tlp)
    if tlp == Tlp.RED:
        raise invalid("tlp", "TLP:RED is for named people, not for a library.", "CLEAR, GREEN, AMBER or AMBER+STRICT.")
    content = stream.read() if stream is not None else b""
    if not body.strip() and not content:
        raise invalid("body", "share a note, a document, or both.", "A body or a document.")
    practice = GoodPractice(
        group=group,
        title=guards.required_text("title", title),
        topic=topic,
        body=body,
        tags=sorted({t.lower() for t in guards.texts("tags", tags or [])}),
        tlp=tlp,
        author=actor,
    )
    if content:
        practice.document_sha256 = hashlib.sha256(content).hexdigest()
        practice.document.save(filename or "document", ContentFile(content), save=False)
    practice.save()
    _audit(actor, "practice.create", practice, title=practice.title, group=group.slug, tlp=tlp)
    return practice
