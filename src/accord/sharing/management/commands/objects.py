"""``accord objects restore|address|extend-retention STIX_ID --as PERSON …``: an originator's
acts on an object it shared, as one of its people (the services decide who may)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from accord.core.errors import ApplicationError
from accord.core.models import User
from accord.core.selectors import organisation_named
from accord.sharing.services import object_address, object_restore, object_retention_extend


class Command(BaseCommand):
    help = (
        "An originator's acts on an object it shared: `restore` (undo a revocation), `address` (to more "
        "organisations), `extend-retention` (keep it longer). What becomes visible reaches TAXII pollers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        restore = sub.add_parser("restore", help="Share a revoked object again (every revoked version).")
        address = sub.add_parser("address", help="Address every version to more organisations.")
        address.add_argument(
            "--to", action="append", required=True, help="An organisation (name or short name); repeat for several."
        )
        extend = sub.add_parser("extend-retention", help="Keep every version until a later moment.")
        extend.add_argument("--until", required=True, help="ISO 8601 date-time with a time zone.")
        for command in (restore, address, extend):
            command.add_argument("stix_id", help="The object's STIX id.")
            command.add_argument("--as", dest="username", required=True, help="Act as this person of the originator.")
        for command in (restore, extend):
            command.add_argument("--reason", required=True, help="Why (recorded in the audit log).")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.select_related("organisation").filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"--as: no person called '{options['username']}'.")
        stix_id, subcommand = options["stix_id"], options["subcommand"]
        try:
            if subcommand == "restore":
                count = object_restore(actor=actor, stix_id=stix_id, reason=options["reason"])
                self.stdout.write(f"Restored {count} version(s) of {stix_id}.")
            elif subcommand == "address":
                organisations = []
                for name in options["to"]:
                    organisation = organisation_named(name)
                    if organisation is None:
                        raise CommandError(f"--to: no organisation called '{name}'.")
                    organisations.append(organisation)
                count = object_address(actor=actor, stix_id=stix_id, organisations=organisations)
                self.stdout.write(f"Addressed {stix_id} to {count} more organisation(s).")
            else:
                try:
                    until = parse_datetime(options["until"])
                except ValueError:
                    until = None
                if until is None or until.tzinfo is None:
                    raise CommandError(f"--until: '{options['until']}' is not an ISO 8601 date-time with a time zone.")
                count = object_retention_extend(actor=actor, stix_id=stix_id, until=until, reason=options["reason"])
                self.stdout.write(f"Kept {count} version(s) of {stix_id} until {until.isoformat()}.")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
