"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median
from typing import Any

__all__ = ["report", "timed"]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def report(name: str, samples: list[float], unit_count: int = 1) -> None:
    med = median(samples)
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    rate = unit_count / med if med else float("inf")
    print(f"{name:<58} median {med * 1000:9.2f} ms   p95 {p95 * 1000:9.2f} ms   {rate:10.0f}/s")
