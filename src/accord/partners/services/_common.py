"""Reference numbering shared by applications and agreements (``APP-2026-0001``)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone

from accord.core.errors import Conflict
from accord.partners.models import Agreement, PartnershipApplication

_Numbered = TypeVar("_Numbered", PartnershipApplication, Agreement)


def _next_reference(model: Any, prefix: str) -> str:
    year = timezone.now().year
    stem = f"{prefix}-{year}-"
    # Longest first, then highest: APP-2026-10000 comes after APP-2026-9999.
    last = (
        model.objects.filter(reference__startswith=stem)
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{number:04}"


def _create_numbered(model: type[_Numbered], prefix: str, **fields: Any) -> _Numbered:
    """Create a row with the next free reference; two concurrent writers retry, not fail."""
    for _ in range(5):
        reference = _next_reference(model, prefix)
        try:
            with transaction.atomic():
                return model.objects.create(reference=reference, **fields)
        except IntegrityError:
            if not model.objects.filter(reference=reference).exists():
                raise  # another constraint: not ours to retry
    raise Conflict("Several requests took the same reference at once; please try again.")
