"""The ``accord`` command: Accord's own commands over Django's management commands.

``accord`` or ``accord --help`` lists Accord's commands with one line each;
``accord help --django`` lists Django's as well; ``accord COMMAND --help`` details one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["main"]

# The long-lived processes whose metrics /metrics shows (see accord.core.metrics).
_MEASURED_COMMANDS = frozenset({"serve", "worker"})


def _metrics_dir() -> None:
    """Put prometheus_client in multiprocess mode, with its files under ``$ACCORD_HOME/metrics``,
    unless ``PROMETHEUS_MULTIPROC_DIR`` says where already: before anything imports it, since it
    chooses its mode on import."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    path = Path(os.environ.get("ACCORD_HOME", "var")).resolve() / "metrics"
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def _accord_commands() -> dict[str, str]:
    """Command name -> first line of its help, for commands defined in Accord's apps."""
    from django.core.management import get_commands, load_command_class

    found = {}
    for name, app in sorted(get_commands().items()):
        if app.startswith("accord."):
            help_text = load_command_class(app, name).help or ""
            found[name] = help_text.strip().splitlines()[0] if help_text.strip() else ""
    return found


def _print_help() -> None:
    import django
    from rich.console import Console
    from rich.table import Table

    django.setup()
    table = Table(show_header=False, box=None, padding=(0, 2))
    for name, text in _accord_commands().items():
        table.add_row(f"[bold]{name}[/bold]", text)
    console = Console()
    console.print("[bold]accord[/bold]: the cybercrime partnership platform.\n")
    console.print("Usage: accord COMMAND \\[options]   (accord COMMAND --help for its options)\n")
    console.print(table)
    console.print("\nDjango's own commands (migrate, shell, check, …) work too: accord help --django")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``accord`` console script."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args in (["--help"], ["-h"], ["help"]):
        _print_help()
        return
    if args[:2] == ["help", "--django"]:
        args = ["help"]
    if args[0] in _MEASURED_COMMANDS:
        _metrics_dir()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["accord", *args])


if __name__ == "__main__":
    main()
