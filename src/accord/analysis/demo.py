"""Demo data of the analysis app: analysts' work on the campaigns the shared data forms, and
enrichment."""

from __future__ import annotations

from accord.analysis import analysis_demo, enrichment_demo

__all__ = ["load"]


def load() -> list[object]:
    return [*analysis_demo.load(), *enrichment_demo.load()]
