"""What the commands that register a partner's source or tool read from ``--org`` and
``--agreement``, with the same messages."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from accord.core.cli import organisation_option
from accord.core.models import Organisation
from accord.partners.models import Agreement

__all__ = ["provider_options"]


def provider_options(options: dict[str, Any]) -> tuple[Organisation, Agreement | None]:
    """The organisation ``--org`` names and the agreement ``--agreement`` names (None when not given)."""
    organisation = organisation_option(options)
    agreement = None
    if options["agreement"]:
        agreement = Agreement.objects.filter(reference=options["agreement"]).first()
        if agreement is None:
            raise CommandError(f"--agreement: no agreement {options['agreement']}.")
    return organisation, agreement
