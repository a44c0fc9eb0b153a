"""``accord feeds``: add, list, pull and remove the remote sources Accord pulls data from."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.core.console import print_rich
from accord.core.errors import ApplicationError
from accord.feeds.models import Feed, FeedKind
from accord.feeds.services import feed_add, feed_pull, feed_remove, feed_update
from accord.partners.cli import provider_options


class Command(BaseCommand):
    help = "Pull data from TAXII 2.1 collections, MISP feeds and CSV files (`accord feeds add NAME URL --kind misp`)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="Register a feed.")
        add.add_argument("name")
        add.add_argument("url", help="TAXII: the API root; MISP: the feed's folder; CSV: the file.")
        add.add_argument("--kind", required=True, choices=FeedKind.values)
        add.add_argument("--collection", default="", help="TAXII collection id.")
        add.add_argument("--user", default="", help="User name for HTTP Basic (else the token is sent as Bearer).")
        add.add_argument("--token", default="", help="API token or password (kept encrypted).")
        add.add_argument("--org", required=True, help="Whose data it is (name or short name).")
        add.add_argument("--agreement", help="Its data-sharing agreement (default: the one in force at each pull).")
        add.add_argument("--tlp", default="", help="TLP for objects that carry none (default: the agreement's).")
        add.add_argument("--map", default="", help='CSV column mapping as JSON, e.g. {"type": "=url", "value": "url"}.')
        add.add_argument("--interval", type=int, default=60, help="Minutes between pulls by `accord worker`.")
        add.add_argument(
            "--strict", action="store_true", help="Each event or file all or nothing (any refused object skips it)."
        )
        sub.add_parser("list", help="List feeds and how their last pull went.")
        pull = sub.add_parser("pull", help="Pull one feed now, or every enabled feed.")
        pull.add_argument("name", nargs="?")
        for verb in ("enable", "disable", "remove"):
            sub.add_parser(verb, help=f"{verb.capitalize()} a feed.").add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['subcommand']}")(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _feed(self, name: str) -> Feed:
        feed = Feed.objects.select_related("organisation", "agreement").filter(name=name).first()
        if feed is None:
            raise CommandError(f"No feed called '{name}'.")
        return feed

    def _add(self, options: dict[str, Any]) -> None:
        organisation, agreement = provider_options(options)
        try:
            mapping = orjson.loads(options["map"]) if options["map"] else {}
        except orjson.JSONDecodeError as exc:
            raise CommandError(f"--map: not JSON: {exc}") from exc
        feed = feed_add(
            actor=None,
            name=options["name"],
            kind=options["kind"],
            url=options["url"],
            organisation=organisation,
            agreement=agreement,
            collection=options["collection"],
            username=options["user"],
            token=options["token"],
            tlp=options["tlp"],
            mapping=mapping,
            interval_minutes=options["interval"],
            strict=options["strict"],
        )
        self.stdout.write(f"Feed {feed.name} added ({feed.get_kind_display()}); `accord feeds pull {feed.name}`.")

    def _list(self, options: dict[str, Any]) -> None:
        table = Table("name", "kind", "url", "organisation", "every", "last pull", "state")
        for feed in Feed.objects.select_related("organisation"):
            state = "disabled" if not feed.enabled else (f"failed: {feed.last_error}" if feed.last_error else "ok")
            if feed.last_refused:
                state += f"; skipped what was refused:\n{feed.last_refused}"
            last = f"{feed.last_pull_at:%Y-%m-%d %H:%M}" if feed.last_pull_at else "never"
            table.add_row(
                feed.name, feed.kind, feed.url, feed.organisation.name, f"{feed.interval_minutes} min", last, state
            )
        print_rich(self.stdout, table)

    def _pull(self, options: dict[str, Any]) -> None:
        feeds = [self._feed(options["name"])] if options["name"] else list(Feed.objects.filter(enabled=True))
        failed = []
        for feed in feeds:
            columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn())
            with Progress(*columns, transient=True) as bar:
                task = bar.add_task(f"Pulling {feed.name}", total=None)
                name = feed.name

                def show(message: str) -> None:
                    bar.update(task, description=f"{name}: {message}")  # noqa: B023 - used within this round

                result = feed_pull(actor=None, feed=feed, on_progress=show)
            for line in result.refused:
                self.stdout.write(f"{feed.name}: skipped, refused: {line}")
            if result.ok:
                self.stdout.write(
                    f"{feed.name}: {len(result.submissions)} submission(s), {result.objects} objects "
                    f"({result.new} new, {len(result.refused)} piece(s) with refusals); "
                    f"cursor {feed.cursor or '(start)'}.{result.left_out_note}"
                )
            else:
                failed.append(feed.name)
                self.stderr.write(f"{feed.name}: failed, kept at its last good state: {result.error}")
        if failed:
            raise CommandError(f"{len(failed)} feed(s) failed: {', '.join(failed)}.")

    def _enable(self, options: dict[str, Any]) -> None:
        feed_update(actor=None, feed=self._feed(options["name"]), enabled=True)
        self.stdout.write(f"Feed {options['name']} enabled.")

    def _disable(self, options: dict[str, Any]) -> None:
        feed_update(actor=None, feed=self._feed(options["name"]), enabled=False)
        self.stdout.write(f"Feed {options['name']} disabled.")

    def _remove(self, options: dict[str, Any]) -> None:
        feed_remove(actor=None, feed=self._feed(options["name"]))
        self.stdout.write(f"Feed {options['name']} removed; what it brought in stays.")
