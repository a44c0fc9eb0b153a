"""``accord enrich``: configure analysis tools, run one on an observable, read the results."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from accord.core.choices import Tlp
from accord.core.console import print_rich
from accord.core.errors import ApplicationError
from accord.core.public_ids import parse
from accord.enrichment import selectors
from accord.enrichment.enrichers import ENRICHERS
from accord.enrichment.models import Enricher
from accord.enrichment.services import (
    enricher_add,
    enricher_problem,
    enricher_update,
    observable_enrich,
    observables_enrich_after_ingest,
)
from accord.formats.choices import ObservableType
from accord.formats.normalisers import InvalidObservable, normalise
from accord.partners.cli import provider_options
from accord.sharing.models import Observable


class Command(BaseCommand):
    help = "Analysis tools on observables (`accord enrich run iban-registry iban DE89370400440532013000`)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("list", help="List the enrichers and whether each may run now.")
        add = sub.add_parser("add", help="Configure an enricher.")
        add.add_argument("name")
        add.add_argument("--kind", required=True, choices=sorted(ENRICHERS))
        add.add_argument("--org", required=True, help="The providing organisation (name or short name).")
        add.add_argument("--agreement", help="Its analysis-tools agreement (partners' tools).")
        add.add_argument("--types", default="", help="Comma-separated observable types (default: all its kind takes).")
        add.add_argument("--tlp-ceiling", required=True, choices=Tlp.values)
        add.add_argument("--timeout", type=int, default=10, help="Seconds (network tools).")
        add.add_argument("--url", default="", help="The partner service's URL (http kind).")
        add.add_argument("--secret", default="", help="The signing secret (http kind; kept encrypted).")
        add.add_argument("--title", default="")
        add.add_argument("--on-ingest", action="store_true", help="Also run on every stored submission.")
        add.add_argument("--disabled", action="store_true")
        for verb in ("enable", "disable"):
            sub.add_parser(verb, help=f"{verb.capitalize()} an enricher.").add_argument("name")
        run = sub.add_parser("run", help="Run an enricher on an observable now and store the result.")
        run.add_argument("enricher")
        run.add_argument("type", choices=ObservableType.values)
        run.add_argument("value")
        results = sub.add_parser("results", help="Show the stored results on an observable.")
        results.add_argument("type", choices=ObservableType.values)
        results.add_argument("value")
        ingest = sub.add_parser("ingest", help="Run the on-ingest enrichers over a stored submission.")
        ingest.add_argument("submission", type=parse, help="The submission's id, as the API and the pages show it.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['subcommand']}")(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _enricher(self, name: str) -> Enricher:
        enricher = selectors.enricher_list(principal=None).filter(name=name).first()
        if enricher is None:
            raise CommandError(f"No enricher called '{name}'.")
        return enricher

    def _observable(self, type_: str, value: str) -> Observable:
        try:
            canonical = normalise(type_, value)
        except InvalidObservable as exc:
            raise CommandError(str(exc)) from exc
        found = Observable.objects.filter(type=canonical.type, value=canonical.value).first()
        if found is None:
            raise CommandError(f"No shared object mentions {type_} {canonical.value}.")
        return found

    def _list(self, options: dict[str, Any]) -> None:
        table = Table("name", "kind", "provided by", "types", "ceiling", "on ingest", "state")
        for e in selectors.enricher_list(principal=None):
            problem = enricher_problem(e)
            table.add_row(
                e.name,
                e.kind,
                e.organisation.name,
                ", ".join(e.types),
                e.tlp_ceiling,
                "yes" if e.run_on_ingest else "no",
                problem or "available",
            )
        print_rich(self.stdout, table)

    def _add(self, options: dict[str, Any]) -> None:
        organisation, agreement = provider_options(options)
        types = [t.strip() for t in options["types"].split(",") if t.strip()] or None
        enricher = enricher_add(
            actor=None,
            name=options["name"],
            kind=options["kind"],
            organisation=organisation,
            agreement=agreement,
            types=types,
            tlp_ceiling=options["tlp_ceiling"],
            timeout_seconds=options["timeout"],
            url=options["url"],
            secret=options["secret"],
            title=options["title"],
            run_on_ingest=options["on_ingest"],
            enabled=not options["disabled"],
        )
        self.stdout.write(f"Enricher {enricher.name} added ({enricher.kind}, for {', '.join(enricher.types)}).")

    def _enable(self, options: dict[str, Any]) -> None:
        enricher_update(actor=None, enricher=self._enricher(options["name"]), enabled=True)
        self.stdout.write(f"Enricher {options['name']} enabled.")

    def _disable(self, options: dict[str, Any]) -> None:
        enricher_update(actor=None, enricher=self._enricher(options["name"]), enabled=False)
        self.stdout.write(f"Enricher {options['name']} disabled.")

    def _run(self, options: dict[str, Any]) -> None:
        observable = self._observable(options["type"], options["value"])
        enricher = self._enricher(options["enricher"])
        result = observable_enrich(actor=None, observable=observable, enricher=enricher)
        if result.status != "ok":
            raise CommandError(f"{enricher.name} failed (stored as a failed result): {result.error}")
        self.stdout.write(orjson.dumps(result.result, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())

    def _results(self, options: dict[str, Any]) -> None:
        observable = self._observable(options["type"], options["value"])
        table = Table("when", "enricher", "provided by", "trigger", "sent at", "status", "result")
        for r in selectors.enrichment_list(principal=None, observable=observable):
            shown = orjson.dumps(r.result, option=orjson.OPT_SORT_KEYS).decode() if r.status == "ok" else r.error
            table.add_row(
                f"{r.created_at:%Y-%m-%d %H:%M}",
                r.enricher.name,
                r.provider.name,
                r.trigger,
                r.tlp_sent,
                r.status,
                shown,
            )
        print_rich(self.stdout, table, width=200)

    def _ingest(self, options: dict[str, Any]) -> None:
        stored = observables_enrich_after_ingest(submission_id=options["submission"])
        if not stored:
            self.stdout.write("Nothing to do: no such stored submission, or no on-ingest enricher may run.")
        for name, count in stored.items():
            self.stdout.write(f"{name}: {count} result(s) stored.")
