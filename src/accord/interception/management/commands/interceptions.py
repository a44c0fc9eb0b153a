"""``accord interceptions``: payment interception from the command line, every step as a person
(``--as``; the policy decides what they see, and their reading is logged), and the escalation job."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from accord.core.cli import moment_option
from accord.core.errors import ApplicationError
from accord.core.models import Organisation, User
from accord.interception import reports, selectors, services
from accord.interception.choices import AccountKind, InstitutionKind, OutcomeKind
from accord.interception.filters import InterceptionFilter
from accord.interception.models import InterceptionRequest
from accord.operations.choices import CrimeType

BENEFICIARY = ("iban", "account_number", "bic", "wallet", "wallet_currency", "exchange")


def _beneficiary(parser: CommandParser, prefix: str = "") -> None:
    dest = prefix.replace("-", "_")
    parser.add_argument(f"--{prefix}account-kind", dest=f"{dest}account_kind", choices=AccountKind.values)
    for name in BENEFICIARY:
        parser.add_argument(f"--{prefix}{name.replace('_', '-')}", dest=f"{dest}{name}", default="")


class Command(BaseCommand):
    help = (
        "Payment-interception requests: list, show, raise, acknowledge, report, withdraw, link, waiting, "
        "figures, escalate, institution."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        def person(p: CommandParser) -> CommandParser:
            p.add_argument("--as", dest="username", required=True, help="Act as this person.")
            p.add_argument("--now", help="The moment of the step (ISO 8601 with a time zone); default now.")
            return p

        listing = person(sub.add_parser("list", help="The requests this person sees."))
        listing.add_argument("--status", action="append", default=[])
        listing.add_argument("--json", action="store_true")
        show = person(sub.add_parser("show", help="One request, with its outcomes and chain."))
        show.add_argument("reference")
        show.add_argument("--json", action="store_true")
        raising = person(sub.add_parser("raise", help="Raise a request."))
        _beneficiary(raising)
        raising.add_argument("--amount", required=True)
        raising.add_argument("--currency", required=True)
        raising.add_argument("--transferred-at", dest="transferred_at", required=True)
        raising.add_argument("--victim-bank", dest="victim_bank", default="")
        raising.add_argument("--crime-type", dest="crime_type", choices=CrimeType.values, required=True)
        raising.add_argument("--case-reference", dest="case_reference", required=True)
        raising.add_argument("--legal-basis", dest="legal_basis", required=True)
        raising.add_argument(
            "--on-behalf-of", dest="on_behalf_of", default="", help="The programme only: a unit's name."
        )
        ack = person(sub.add_parser("acknowledge", help="Acknowledge a request addressed to you."))
        ack.add_argument("reference")
        report = person(sub.add_parser("report", help="Report an outcome."))
        report.add_argument("reference")
        report.add_argument("--kind", choices=OutcomeKind.values, required=True)
        report.add_argument("--amount", default=None)
        report.add_argument("--currency", default="")
        report.add_argument("--note", default="")
        _beneficiary(report, "onward-")
        report.add_argument("--onward-transferred-at", dest="onward_transferred_at", default="")
        withdraw = person(sub.add_parser("withdraw", help="Withdraw a request you raised."))
        withdraw.add_argument("reference")
        withdraw.add_argument("--reason", required=True)
        link = person(sub.add_parser("link", help="Link a request to a joint operation (0 unlinks)."))
        link.add_argument("reference")
        link.add_argument("--operation", type=int, required=True)
        person(sub.add_parser("waiting", help="What waits for an answer, most overdue first."))
        figures = person(sub.add_parser("figures", help="The report: per month, region, crime type or bank."))
        figures.add_argument("--by", choices=reports.GROUPINGS, default="month")
        figures.add_argument("--csv", action="store_true")
        escalate = sub.add_parser("escalate", help="Escalate every late request (the worker does it each round).")
        escalate.add_argument("--now")
        institution = sub.add_parser("institution", help="Tell the routing which partner a bank or exchange is.")
        institution.add_argument("--org", required=True, help="The partner's name or short name.")
        institution.add_argument("--kind", choices=InstitutionKind.values, required=True)
        institution.add_argument("--bic", default="")
        institution.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "escalate":
                done = services.interceptions_escalate(now=moment_option(options))
                self.stdout.write(f"{len(done)} escalated" + (f": {', '.join(done)}" if done else ""))
                return
            if action == "institution":
                self._institution(options)
                return
            user = User.objects.select_related("organisation").filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"--as: no person called '{options['username']}'.")
            getattr(self, f"_{action}")(user, options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _get(self, user: User, reference: str) -> InterceptionRequest:
        return selectors.interception_get(principal=user, pk=reference)

    def _line(self, r: InterceptionRequest) -> str:
        return (
            f"{r.reference:18} {r.status:12} {r.amount} {r.currency} {r.beneficiary} → {r.addressee.name}"
            f" ({r.routed_as})"
        )

    def _list(self, user: User, options: dict[str, Any]) -> None:
        rows = list(
            InterceptionFilter({"status": options["status"]}, queryset=selectors.interception_list(principal=user)).qs
        )
        services.interceptions_consulted(actor=user, requests=rows, via="cli")
        if options["json"]:
            self.stdout.write(json.dumps([_as_dict(r) for r in rows], indent=2))
            return
        for r in rows:
            self.stdout.write(self._line(r))

    def _show(self, user: User, options: dict[str, Any]) -> None:
        row = self._get(user, options["reference"])
        chain = selectors.interception_chain(principal=user, request=row)
        services.interceptions_consulted(actor=user, requests=chain or [row], via="cli")
        if options["json"]:
            self.stdout.write(json.dumps(_as_dict(row) | {"chain": [_as_dict(c) for c in chain]}, indent=2))
            return
        self.stdout.write(self._line(row))
        self.stdout.write(f"  routing: {row.routing_note}")
        self.stdout.write(
            f"  ack due {row.ack_due:%Y-%m-%d %H:%M %Z}, first outcome due {row.outcome_due:%Y-%m-%d %H:%M %Z}"
        )
        for o in row.outcomes.all():
            onward = f" → {o.onward.reference}" if o.onward else ""
            self.stdout.write(f"  outcome {o.kind} {o.amount or ''} {o.currency}{onward}")
        self.stdout.write("chain:")
        for c in chain:
            self.stdout.write("  " + self._line(c))

    def _raise(self, user: User, options: dict[str, Any]) -> None:
        moment = parse_datetime(options["transferred_at"])
        behalf = None
        if options["on_behalf_of"]:
            from accord.core.selectors import organisation_named

            behalf = organisation_named(options["on_behalf_of"])
            if behalf is None:
                raise CommandError(f"--on-behalf-of: no organisation called '{options['on_behalf_of']}'.")
        made = services.interception_raise(
            actor=user,
            account_kind=options["account_kind"] or "",
            amount=options["amount"],
            currency=options["currency"],
            transferred_at=moment,
            crime_type=options["crime_type"],
            case_reference=options["case_reference"],
            legal_basis=options["legal_basis"],
            victim_bank=options["victim_bank"],
            on_behalf_of=behalf,
            now=moment_option(options),
            **{name: options[name] for name in BENEFICIARY},
        )
        self.stdout.write(f"{made.reference} sent to {made.addressee.name} ({made.routed_as})")

    def _acknowledge(self, user: User, options: dict[str, Any]) -> None:
        row = services.interception_acknowledge(
            actor=user, request=self._get(user, options["reference"]), now=moment_option(options)
        )
        self.stdout.write(f"{row.reference} acknowledged")

    def _report(self, user: User, options: dict[str, Any]) -> None:
        onward = None
        if options["onward_account_kind"]:
            onward = {name: options[f"onward_{name}"] for name in ("account_kind", *BENEFICIARY)}
            onward["transferred_at"] = parse_datetime(options["onward_transferred_at"] or "")
        outcome = services.interception_report(
            actor=user,
            request=self._get(user, options["reference"]),
            kind=options["kind"],
            amount=options["amount"],
            currency=options["currency"],
            note=options["note"],
            onward=onward,
            now=moment_option(options),
        )
        then = f"; next request {outcome.onward.reference} to {outcome.onward.addressee.name}" if outcome.onward else ""
        self.stdout.write(f"{outcome.request.reference}: {outcome.kind} recorded{then}")

    def _withdraw(self, user: User, options: dict[str, Any]) -> None:
        row = services.interception_withdraw(
            actor=user, request=self._get(user, options["reference"]), reason=options["reason"]
        )
        self.stdout.write(f"{row.reference} withdrawn")

    def _link(self, user: User, options: dict[str, Any]) -> None:
        row = services.interception_link_operation(
            actor=user, request=self._get(user, options["reference"]), operation=options["operation"] or None
        )
        self.stdout.write(f"{row.reference} linked to {row.operation.name if row.operation else 'no operation'}")

    def _waiting(self, user: User, options: dict[str, Any]) -> None:
        for w in selectors.interceptions_waiting(principal=user, now=moment_option(options)):
            late = f"late by {w.late}" if w.late else "not yet due"
            self.stdout.write(
                f"{w.request.reference:18} {w.request.addressee.name:30} {w.waiting_for:16} "
                f"due {w.due:%Y-%m-%d %H:%M} {late}"
            )

    def _figures(self, user: User, options: dict[str, Any]) -> None:
        rows = reports.report_rows(selectors.interception_list(principal=user), by=options["by"])
        if options["csv"]:
            self.stdout.write(reports.report_csv(rows, by=options["by"]), ending="")
            return
        for r in rows:
            frozen = "; ".join(f"{a} {c}" for c, a in r.frozen.items()) or "-"
            self.stdout.write(
                f"{r.key:28} {r.requests:5} ack {r.ack_median} / {r.ack_p90} h  outcome {r.outcome_median} / "
                f"{r.outcome_p90} h  in time {r.in_time}  frozen {frozen}"
            )

    def _institution(self, options: dict[str, Any]) -> None:
        from accord.core.cli import organisation_option

        organisation: Organisation = organisation_option(options)
        made = services.institution_register(
            actor=None, organisation=organisation, kind=options["kind"], bic=options["bic"], name=options["name"]
        )
        bic = f" {made.bic8}" if made.bic8 else ""
        self.stdout.write(f"{made.name} ({made.kind}{bic}) routes to {organisation.name}")


def _as_dict(r: InterceptionRequest) -> dict[str, Any]:
    return {
        "reference": r.reference,
        "parent": r.parent.reference if r.parent else None,
        "status": r.status,
        "requester": r.requester.name,
        "addressee": r.addressee.name,
        "routed_as": r.routed_as,
        "beneficiary": r.beneficiary,
        "amount": str(r.amount),
        "currency": r.currency,
        "transferred_at": r.transferred_at.isoformat(),
        "outcomes": [
            {
                "kind": o.kind,
                "amount": str(o.amount) if o.amount is not None else None,
                "currency": o.currency,
                "onward": o.onward.reference if o.onward else None,
            }
            for o in r.outcomes.all()
        ],
    }
