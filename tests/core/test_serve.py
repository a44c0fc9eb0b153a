"""``accord serve``: each worker loads, before it takes requests, what its first ones would load."""

from __future__ import annotations

from typing import Any

from django.urls import get_resolver

from accord.analysis.warninglists import _index_for, index, index_if_built
from accord.core.management.commands.serve import _prepare_worker


def test_a_worker_loads_the_warning_lists_it_will_consult_but_never_builds_them(settings: Any, tmp_path: Any) -> None:
    settings.ACCORD_WARNINGLISTS_DIR = tmp_path
    settings.ACCORD_WARNINGLISTS = ["akamai"]  # one small list of networks
    _index_for.cache_clear()
    try:
        _prepare_worker(None)
        assert index_if_built() is None  # a server's start does not build the index
        assert get_resolver().url_patterns

        index().lists()  # built, as `accord analysis warninglists` would
        _index_for.cache_clear()  # a new worker's process
        _prepare_worker(None)
        loaded = index_if_built()
        assert loaded is not None
        assert loaded._nets is not None and loaded._nets[4]  # the networks are in memory already
        assert set(loaded._patterns) >= {"domain", "url", "email"}
    finally:
        _index_for.cache_clear()
