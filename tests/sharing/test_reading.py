"""The reading process of a large ingest: batches and progress cross over, and a reading
process that fails or dies is an error in the ingest, never a silent end."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator

import pytest

from accord.sharing.reading import ReadingFailed, read_batches


def test_batches_and_progress_cross_from_the_reading_process():
    def produce(report: Callable[[int], None]) -> Iterator[list[int]]:
        for n in range(20):
            yield [os.getpid(), n]
            report(n * 5)

    seen: list[int] = []
    batches = list(read_batches(produce, seen.append, parallel=True))
    assert [n for _, n in batches] == list(range(20))
    assert {pid for pid, _ in batches} != {os.getpid()}  # read in another process
    assert seen == [n * 5 for n in range(20)]
    assert not multiprocessing.active_children()


def test_a_failure_in_the_reading_process_fails_the_ingest_with_its_traceback():
    def produce(report: Callable[[int], None]) -> Iterator[list[int]]:
        yield [1]
        raise ValueError("the reader broke on object 2")

    got: list[list[int]] = []
    with pytest.raises(ReadingFailed, match="ValueError: the reader broke on object 2"):
        for batch in read_batches(produce, lambda _: None, parallel=True):
            got.append(batch)
    assert got == [[1]]
    assert not multiprocessing.active_children()


def test_a_reading_process_that_dies_without_a_word_fails_the_ingest():
    def produce(report: Callable[[int], None]) -> Iterator[list[int]]:
        yield [1]
        os._exit(3)

    with pytest.raises(ReadingFailed, match="exit code 3"):
        list(read_batches(produce, lambda _: None, parallel=True))
    assert not multiprocessing.active_children()


def test_stopping_early_ends_the_reading_process():
    def produce(report: Callable[[int], None]) -> Iterator[list[int]]:
        n = 0
        while True:  # would read forever
            n += 1
            yield [n] * 1000

    batches = read_batches(produce, lambda _: None, parallel=True)
    assert next(batches)[0] == 1
    batches.close()  # what the ingest does when it stops at the error limit
    assert not multiprocessing.active_children()
