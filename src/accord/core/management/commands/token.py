"""``accord token``: issue, list and revoke API tokens from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from accord.core.console import print_rich
from accord.core.errors import ApplicationError
from accord.core.models import ApiToken, User
from accord.core.services import token_issue, token_revoke


class Command(BaseCommand):
    help = "Issue, list and revoke API tokens (`accord token issue --user U --scopes read,write --days 90`)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        issue = sub.add_parser("issue", help="Issue a token; the token alone is printed on the last line.")
        issue.add_argument("--user", required=True, help="Username of the token's owner.")
        issue.add_argument("--scopes", default="read", help="Comma-separated: read, write, taxii, admin.")
        issue.add_argument("--days", type=int, default=90, help="Days until it expires (1-366).")
        issue.add_argument("--name", default="", help="What the token is for (default: 'cli').")
        listing = sub.add_parser("list", help="List a person's tokens (never their secrets).")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (acc_xxxxxxxxxxxx).")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['subcommand']}")(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called '{username}'.")
        return user

    def _issue(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"])
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        issued = token_issue(actor=None, user=user, name=options["name"] or "cli", scopes=scopes, days=options["days"])
        self.stderr.write(
            f"Token for {user.username}, scopes {', '.join(issued.token.scopes)}, "
            f"expires {issued.token.expires_at:%Y-%m-%d %H:%M} UTC. Shown once:"
        )
        self.stdout.write(issued.secret)

    def _list(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"])
        table = Table("prefix", "name", "scopes", "expires", "last used", "state")
        for token in user.api_tokens.all():
            table.add_row(
                token.prefix,
                token.name,
                ",".join(token.scopes),
                f"{token.expires_at:%Y-%m-%d}",
                f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never",
                token.state_at(),
            )
        print_rich(self.stdout, table)

    def _revoke(self, options: dict[str, Any]) -> None:
        prefix = options["prefix"].removesuffix("…")
        key_id = prefix.removeprefix(ApiToken.PREFIX)
        token = ApiToken.objects.filter(key_id=key_id).first()
        if token is None:
            raise CommandError(f"No token with prefix '{prefix}'.")
        token_revoke(actor=None, token=token)
        self.stdout.write(f"Revoked {token.prefix}.")
