"""``accord demo``: load believable demo data from every app (idempotent) and print the logins."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from rich.table import Table

from accord.core.console import print_rich
from accord.core.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Load a realistic demo (idempotent): organisations in all five regions, one login per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-init", action="store_true", help="Do not run `accord init` first.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_init"]:
            call_command("init", verbosity=0, stdout=self.stdout)
        # The demo's e-mails (acknowledgements, decisions, invitations) go to files, not the console.
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        logins: list[Any] = []
        # Each Accord app may ship a `demo` module with a `load()`; they run in INSTALLED_APPS order.
        with transaction.atomic():
            for config in apps.get_app_configs():
                if not config.name.startswith("accord."):
                    continue
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                logins.extend(module.load() or [])
        table = Table("username", "password", "role", "organisation", "second factor", title="Demo logins")
        for login in logins:
            second = "enrol at first sign-in" if login.second_factor else "-"
            table.add_row(login.username, DEMO_PASSWORD, login.role, login.organisation, second)
        print_rich(self.stdout, table)
        if any(login.second_factor for login in logins):
            self.stdout.write(
                "Administrators sign in with a second factor: at the first sign-in Accord shows a QR code "
                "to scan with an authenticator app (any TOTP app), then asks for its code. The other logins "
                "need the password alone. To try the demo without a phone, start Accord with "
                "ACCORD_TOTP_REQUIRED_ROLES= (empty)."
            )
        self.stdout.write(f"The demo's e-mails are in {settings.EMAIL_FILE_PATH}.")
