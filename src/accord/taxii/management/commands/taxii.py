"""``accord taxii``: list the TAXII collections, or create the standard ones that are missing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.table import Table

from accord.core.console import print_rich
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync


class Command(BaseCommand):
    help = "TAXII 2.1 collections: 'list' them, or 'sync' (create the standard ones that are missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "sync"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sync":
            created = collections_sync()
            self.stdout.write(self.style.SUCCESS(f"{created} collection(s) created."))
            return
        table = Table("id", "alias", "kind", "title", "spec", title="TAXII collections (/taxii2/api/collections/)")
        for c in Collection.objects.order_by("kind", "title"):
            table.add_row(str(c.pk), c.alias, c.kind, c.title, str(c.spec or ""))
        print_rich(self.stdout, table)
