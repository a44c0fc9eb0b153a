"""Accord's e-mails: rendered from templates, sent once the transaction that caused them commits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

__all__ = ["mail_after_commit", "render_mail", "send_after_commit"]


def mail_after_commit(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    """Queue ``templates/<template>.txt`` (first line: the subject) to ``to`` after commit.

    ``attachments`` are ``(filename, content, mimetype)``, e.g. an iCalendar invitation.
    A rolled-back change sends nothing; a failed send does not undo the change.
    """
    subject, body = render_mail(template, context)
    send_after_commit(to=to, subject=subject, body=body, attachments=attachments)


def render_mail(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """``templates/<template>.txt`` rendered: its first line (the subject) and the rest."""
    text = render_to_string(f"{template}.txt", {"base_url": settings.ACCORD_BASE_URL, **context})
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip()


def send_after_commit(
    *, to: str, subject: str, body: str, attachments: list[tuple[str, bytes, str]] | None = None
) -> None:
    """Queue one e-mail to ``to`` after commit (at once outside a transaction); a rolled-back
    change sends nothing, and a failed send does not undo the change."""
    files = list(attachments or [])

    def send() -> None:
        message = EmailMessage(subject, body + "\n", None, [to])
        for name, content, mimetype in files:
            message.attach(name, content, mimetype)
        message.send(fail_silently=False)

    transaction.on_commit(send)
