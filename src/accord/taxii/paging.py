"""The opaque ``next`` of TAXII 2.1 §3.4 as an encrypted keyset cursor.

A token holds the position of the last object served (``date_added``, row id) and a digest of
the filters, collection and asker it belongs to, encrypted and authenticated (AES-256-GCM) with
a key derived from the site's secret key. Any worker of any node reads it back, after any
restart, without server-side state; a token that was altered, or that is replayed with other
filters, is refused. Encrypted, not only signed: a readable position would tell a reader the row
number and time of the last object of its page, and from them how much others stored meanwhile
(see ``accord.core.public_ids``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from datetime import datetime
from functools import lru_cache

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from accord.core.errors import ValidationFailed
from accord.taxii.filters import parse_timestamp, stamp

__all__ = ["Position", "next_decode", "next_encode"]

_SALT = b"accord.taxii.next"
_NONCE = 12  # bytes; random per token (NIST SP 800-38D §8.2.2)

Position = tuple[datetime, int]


@lru_cache(maxsize=4)
def _cipher(secret_key: str) -> AESGCM:
    return AESGCM(hmac.new(secret_key.encode(), _SALT, hashlib.sha256).digest())


def next_encode(position: Position, binding: str) -> str:
    """The token for the page after ``position`` under filters digested as ``binding``."""
    nonce = os.urandom(_NONCE)
    payload = orjson.dumps([stamp(position[0]), position[1], binding])
    sealed = _cipher(settings.SECRET_KEY).encrypt(nonce, payload, _SALT)
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def next_decode(token: str, binding: str) -> Position:
    """The position a token names; a 400 if it was tampered with or belongs to other filters."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = _cipher(settings.SECRET_KEY).decrypt(raw[:_NONCE], raw[_NONCE:], _SALT)
        added, pk, bound = orjson.loads(payload)
    except (InvalidTag, binascii.Error, ValueError, TypeError):
        raise ValidationFailed(
            "next: not a token this server issued (or it was altered).", details={"next": ["Invalid."]}
        ) from None
    if bound != binding or not isinstance(pk, int) or not isinstance(added, str):
        raise ValidationFailed(
            "next: this token belongs to another request; repeat the filters of the request that returned it.",
            details={"next": ["Issued for other filters."]},
        )
    return parse_timestamp(added, "next"), pk
