"""Demo data of the analysis app."""

from __future__ import annotations

from accord.analysis import enrichment_demo

__all__ = ["load"]


def load() -> list[object]:
    return enrichment_demo.load()
