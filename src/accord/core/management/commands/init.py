"""``accord init``: create $ACCORD_HOME and the audit checkpoints' signing key, migrate the database,
collect static files, create the host, then let each app create what it needs (its
``AppConfig.initialise()``, in ``INSTALLED_APPS`` order): the handling terms of the host's own data
sets, the standard TAXII collections, the warning-list index and the governance groups (the expert
group and the five regional working groups)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from accord.core.checkpoints import signing_key
from accord.core.hooks import call_app_hooks
from accord.core.services import host_ensure

DEFAULT_HOST = "International Cybercrime Directorate"


class Command(BaseCommand):
    help = "Create $ACCORD_HOME, migrate the database, collect static files, create the hosting organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host-name", default=DEFAULT_HOST, help="Name of the hosting organisation (first run).")
        parser.add_argument("--host-country", default="SG", help="ISO 3166-1 alpha-2 country of the host.")
        parser.add_argument("--no-static", action="store_true", help="Skip collecting static files.")

    def handle(self, *args: Any, **options: Any) -> None:
        home = settings.ACCORD_HOME
        home.mkdir(parents=True, exist_ok=True)
        signing_key()  # the audit checkpoints' key, made once, outside the database
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if not options["no_static"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        host = host_ensure(name=options["host_name"], country=options["host_country"])
        call_app_hooks("initialise")  # what each app creates: see accord.core.hooks
        database = settings.DATABASES["default"]
        where = database["NAME"] if "sqlite" in database["ENGINE"] else f"{database['ENGINE'].rsplit('.', 1)[-1]}"
        self.stdout.write(self.style.SUCCESS(f"Accord ready in {home} (database: {where}; host: {host.name})."))
