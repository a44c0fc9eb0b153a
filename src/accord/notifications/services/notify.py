"""Telling people: ``notify`` and what a person does with what they were told.

``notify(event, *, people=(), organisation=None, roles=None, addresses=(), subject=None,
context=None, link="", template="", attachments=None, data=None)``

- ``event``: a registered event type key (:mod:`accord.notifications.events`), e.g.
  ``"agreement.expiring"``.
- recipients: ``people`` (users), and/or every active person of ``organisation`` (only those of
  ``roles`` when given), and/or bare e-mail ``addresses`` (people without an account, such as an
  applicant: e-mailed whatever the preferences).
- ``subject``: the model instance it is about (its type and id are kept with each notification).
- ``context``: the template's context (``person`` is added per recipient). Without a template of
  the event type or ``template``, give ``title`` (and ``text``) in it.
- ``link``: the path of the page showing the thing concerned.
- ``data``: JSON-safe facts for webhooks of the organisations concerned (those subscribed to
  ``event``); never shared data a recipient may not read: the caller checks with
  :mod:`accord.policy` first and does not call ``notify`` when the recipient may not know.

Inbox rows are written in the caller's transaction (a rolled-back change tells nobody);
e-mails and webhook deliveries leave only once it commits. Each person is told where their
preference (else their role's default) says; e-mails wait for the daily digest of those who
chose it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accord.core.errors import NotFound, ValidationFailed
from accord.core.mail import render_mail, send_after_commit
from accord.core.models import Organisation, User
from accord.notifications.choices import Channel, Digest
from accord.notifications.events import EVENT_TYPES, EventType, event_type
from accord.notifications.models import Notification, NotificationSettings, Preference

__all__ = [
    "GENERIC_TEMPLATE",
    "channel_for",
    "digest_for",
    "notification_read",
    "notifications_digest_daily",
    "notifications_read_all",
    "notify",
    "preferences_set",
]

GENERIC_TEMPLATE = "notifications/email/generic"


def _render(event: EventType, template: str, context: dict[str, Any]) -> tuple[str, str]:
    chosen = template or event.template
    if chosen:
        return render_mail(chosen, context)
    title = str(context.get("title") or event.label)
    return render_mail(GENERIC_TEMPLATE, {**context, "title": title, "event": event})


def channel_for(person: User, event: EventType, preferences: dict[str, str] | None = None) -> str:
    """Where ``person`` is told of ``event``: their preference, else their role's default."""
    if preferences is None:
        found = Preference.objects.filter(person=person, event_type=event.key).values_list("channel", flat=True).first()
        preferences = {event.key: found} if found else {}
    return preferences.get(event.key) or event.channel_for(person.role)


def digest_for(person: User) -> str:
    found = NotificationSettings.objects.filter(person=person).values_list("digest", flat=True).first()
    return found or Digest.IMMEDIATE


def _recipients(people: Iterable[User], organisation: Organisation | None, roles: Iterable[str] | None) -> list[User]:
    chosen = {p.pk: p for p in people if p.is_active}
    if organisation is not None:
        members = User.objects.filter(organisation=organisation, is_active=True)
        if roles is not None:
            members = members.filter(role__in=list(roles))
        chosen |= {p.pk: p for p in members}
    return [chosen[pk] for pk in sorted(chosen)]


def notify(
    event: str,
    *,
    people: Iterable[User] = (),
    organisation: Organisation | None = None,
    roles: Iterable[str] | None = None,
    addresses: Iterable[str] = (),
    subject: models.Model | None = None,
    context: dict[str, Any] | None = None,
    link: str = "",
    template: str = "",
    attachments: list[tuple[str, bytes, str]] | None = None,
    data: dict[str, Any] | None = None,
) -> list[Notification]:
    """Tell the recipients of ``event`` (see the module's docstring); returns the inbox rows written."""
    kind = event_type(event)
    context = {"link": link, **(context or {})}
    recipients = _recipients(people, organisation, roles) if kind.people else []
    preferences: dict[int, dict[str, str]] = {}
    for pk, key, channel in Preference.objects.filter(
        person_id__in=[p.pk for p in recipients], event_type=kind.key
    ).values_list("person_id", "event_type", "channel"):
        preferences.setdefault(pk, {})[key] = channel
    daily = set(
        NotificationSettings.objects.filter(person_id__in=[p.pk for p in recipients], digest=Digest.DAILY).values_list(
            "person_id", flat=True
        )
    )
    object_type = subject._meta.label_lower if subject is not None else ""
    object_id = str(subject.pk) if subject is not None else ""
    rows: list[Notification] = []
    first_title = ""
    for person in recipients:
        channel = channel_for(person, kind, preferences.get(person.pk, {}))
        if channel == Channel.NONE:
            continue
        title, body = _render(kind, template, {**context, "person": person})
        first_title = first_title or title
        wants_mail = channel in (Channel.EMAIL, Channel.BOTH) and bool(person.email)
        in_app = channel in (Channel.IN_APP, Channel.BOTH)
        pending = wants_mail and person.pk in daily
        if wants_mail and not pending:
            send_after_commit(to=person.email, subject=title, body=body, attachments=attachments)
        if in_app or pending:
            rows.append(
                Notification(
                    recipient=person,
                    event_type=kind.key,
                    title=title[:300],
                    body=body,
                    link=link[:500],
                    object_type=object_type,
                    object_id=object_id,
                    in_app=in_app,
                    email_pending=pending,
                )
            )
    for address in sorted(set(addresses)):
        title, body = _render(kind, template, {"person": None, **context})
        first_title = first_title or title
        send_after_commit(to=address, subject=title, body=body, attachments=attachments)
    Notification.objects.bulk_create(rows)
    if kind.webhook:
        from accord.notifications.services.deliveries import webhooks_queue_event

        organisations = {organisation.pk} if organisation is not None else set()
        organisations |= {p.organisation_id for p in recipients}
        webhooks_queue_event(
            event=kind.key,
            organisation_ids=organisations,
            title=first_title or str(context.get("title") or kind.label),
            link=link,
            data=data or {},
        )
    return rows


@transaction.atomic
def notification_read(*, actor: User, notification: Notification, read: bool = True) -> Notification:
    """Mark one of one's own notifications read (or unread again)."""
    if notification.recipient_id != actor.pk:
        raise NotFound("No such notification.")
    notification.read_at = timezone.now() if read else None
    notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_read_all(*, actor: User, event_type: str = "") -> int:
    """Mark every unread notification of one's own read (of one event type, when given)."""
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if event_type:
        unread = unread.filter(event_type=event_type)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def preferences_set(*, actor: User, channels: dict[str, str] | None = None, digest: str | None = None) -> None:
    """Set where one is told of each event type named (``channels``: event type to channel), and
    one's e-mail rhythm; what is not named stays as it was. A channel equal to the role's default
    is stored all the same: a later change of defaults does not move a choice made."""
    problems: dict[str, list[str]] = {}
    for key, channel in (channels or {}).items():
        kind = EVENT_TYPES.get(key)
        if kind is None or not kind.people:
            problems[key] = [f"Not an event type people are told of; known: {', '.join(_people_keys())}."]
        elif channel not in Channel.values:
            problems[key] = [f"'{channel}' is not one of {', '.join(Channel.values)}."]
    if digest is not None and digest not in Digest.values:
        problems["digest"] = [f"'{digest}' is not one of {', '.join(Digest.values)}."]
    if problems:
        first = next(iter(problems))
        raise ValidationFailed(f"{first}: {problems[first][0]}", details=problems)
    for key, channel in (channels or {}).items():
        Preference.objects.update_or_create(person=actor, event_type=key, defaults={"channel": channel})
    if digest is not None:
        NotificationSettings.objects.update_or_create(person=actor, defaults={"digest": digest})


def _people_keys() -> list[str]:
    return sorted(k for k, e in EVENT_TYPES.items() if e.people)


def notifications_digest_daily(*, now: datetime | None = None) -> list[int]:
    """The daily job (``ACCORD_DAILY_JOBS``): one e-mail per person who chose the daily digest,
    listing what waited for it; each notification is e-mailed once. Returns the people mailed."""
    mailed: list[int] = []
    with transaction.atomic():
        waiting = (
            Notification.objects.select_for_update()
            .filter(email_pending=True)
            .select_related("recipient")
            .order_by("recipient_id", "created_at", "pk")
        )
        by_person: dict[int, list[Notification]] = {}
        for notification in waiting:
            by_person.setdefault(notification.recipient_id, []).append(notification)
        for items in by_person.values():
            person = items[0].recipient
            if person.email and person.is_active:
                text = render_to_string(
                    f"{GENERIC_TEMPLATE}_digest.txt",
                    {"person": person, "items": items, "base_url": settings.ACCORD_BASE_URL},
                )
                subject, _, body = text.strip().partition("\n")
                send_after_commit(to=person.email, subject=subject.strip(), body=body.strip())
                mailed.append(person.pk)
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(email_pending=False)
    return mailed
