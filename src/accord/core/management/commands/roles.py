"""``accord roles``: what each role may do."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from rich.table import Table

from accord.core.choices import Role
from accord.core.console import print_rich
from accord.core.roles import ROLE_DESCRIPTIONS, Perm, allowed_scopes, perms_of


class Command(BaseCommand):
    help = "Print the role and capability matrix, with the token scopes each role may hold."

    def handle(self, *args: Any, **options: Any) -> None:
        table = Table("capability", *[r.value for r in Role], title="What each role may do")
        for perm in Perm:
            table.add_row(perm.value, *["✓" if perm in perms_of(r) else "" for r in Role])
        table.add_row("token scopes", *[",".join(sorted(allowed_scopes(r))) for r in Role])
        lines = [f"[bold]{role.value}[/bold]: {ROLE_DESCRIPTIONS[role]}" for role in Role]
        print_rich(self.stdout, table, *lines, width=160)
