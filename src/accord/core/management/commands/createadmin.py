"""``accord createadmin``: an administrator of the hosting organisation."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.choices import Role
from accord.core.errors import ApplicationError
from accord.core.models import Organisation
from accord.core.second_factor import second_factor_required
from accord.core.services import person_create


class Command(BaseCommand):
    help = "Create an administrator of the hosting organisation (password from ACCORD_ADMIN_PASSWORD or a prompt)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        host = Organisation.objects.filter(is_host=True).first()
        if host is None:
            raise CommandError("No hosting organisation yet: run `accord init` first.")
        password = os.environ.get("ACCORD_ADMIN_PASSWORD") or self._prompt()
        try:
            person = person_create(
                actor=None,
                organisation=host,
                username=options["username"],
                email=options["email"],
                role=Role.ADMIN,
                first_name=options["first_name"],
                last_name=options["last_name"],
                password=password,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Administrator {person.username} created in {host.name}."))
        if second_factor_required(person):
            self.stdout.write("At the first sign-in they set up an authenticator app (a QR code to scan).")

    def _prompt(self) -> str:
        try:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt) as exc:
            raise CommandError("No password: set ACCORD_ADMIN_PASSWORD or run in a terminal.") from exc
        if first != second:
            raise CommandError("The two passwords differ.")
        if not first:
            raise CommandError("An empty password is not allowed.")
        return first
