"""``accord audit verify [--checkpoint FILE]``, ``accord audit checkpoint``, ``accord audit key``.

``verify`` walks the hash chain, and with ``--checkpoint`` checks it against signed checkpoints
kept outside the database; exit 1 names the first broken link or disagreeing checkpoint.
``checkpoint`` signs the chain's head and appends it to ``ACCORD_AUDIT_CHECKPOINT_FILE``;
``key`` prints the public key the checkpoints verify with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.audit import audit_verify
from accord.core.checkpoints import (
    audit_checkpoint,
    checkpoints_verify,
    load_public_key,
    public_key_pem,
    signing_key,
)
from accord.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Verify the hash-chained audit log (`accord audit verify`); exit code 1 names the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="Recompute every link of the chain.")
        verify.add_argument(
            "--checkpoint",
            type=Path,
            metavar="FILE",
            help="Also check the chain against the signed checkpoints in FILE (one JSON line each).",
        )
        verify.add_argument(
            "--public-key",
            type=Path,
            action="append",
            default=[],
            metavar="PEM",
            help="A public key the checkpoints may be signed with (default: this installation's; repeatable).",
        )
        sub.add_parser("checkpoint", help="Sign the chain's head, print it and append it to the checkpoint file.")
        sub.add_parser("key", help="Print the public key that checkpoints verify with (PEM).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['subcommand']}")(options)
        except ApplicationError as error:
            raise CommandError(error.message, returncode=1) from error

    def _verify(self, options: dict[str, Any]) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken after {report.checked} good event(s): {report.problem}.", returncode=1
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified."))
        if options["checkpoint"] is None:
            return
        keys = [load_public_key(path) for path in options["public_key"]]
        if not keys or Path(settings.ACCORD_AUDIT_KEY_FILE).exists():
            keys.append(signing_key(create=False).public_key())
        anchored = checkpoints_verify(path=options["checkpoint"], public_keys=keys)
        if not anchored.ok:
            raise CommandError(
                f"Audit chain does not match its checkpoints ({anchored.checked} agree): {anchored.problem}.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(f"Checkpoints agree: {anchored.checked} in {options['checkpoint']}."))

    def _checkpoint(self, options: dict[str, Any]) -> None:
        payload = audit_checkpoint()
        self.stdout.write(orjson.dumps(payload).decode())
        self.stderr.write(f"Appended to {settings.ACCORD_AUDIT_CHECKPOINT_FILE}.")

    def _key(self, options: dict[str, Any]) -> None:
        self.stdout.write(public_key_pem(), ending="")
