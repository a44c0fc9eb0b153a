"""Rich output for management commands, written through Django's ``self.stdout``."""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import OutputWrapper
from rich.console import Console

__all__ = ["print_rich"]


def print_rich(stdout: OutputWrapper, *renderables: Any, width: int = 120) -> None:
    """Render tables and markup to ``stdout`` (so ``call_command(stdout=...)`` captures them)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=stdout.isatty())
    for renderable in renderables:
        console.print(renderable)
    stdout.write(buffer.getvalue(), ending="")
