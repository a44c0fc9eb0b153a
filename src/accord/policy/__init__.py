"""THE access decision over shared data: agreements as code.

``decide(ctx, obj, action, purpose)`` answers for one object and says why, and whether its
source may be named; ``visible(ctx, queryset, action, purpose)`` filters a queryset in SQL with
the same rules. ``ctx`` is the asker as the rules read it, a :class:`PrincipalContext` built once
per request, task or command by ``principal_context(user)``. Both evaluate the same predicates
(:mod:`accord.policy.rules`), and a generated test matrix checks that they never disagree.

Import every name from here, never from a submodule (``tests/policy/test_imports.py`` checks
it). The names load lazily, on first use, because this package is also a Django app, imported
before the models are ready.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.policy.audience import audience_visible, in_audience
    from accord.policy.decision import (
        Action,
        Decision,
        Rule,
        Visibility,
        decide,
        nameable_sources,
        originator_agreements,
        source_nameable,
        visibility,
        visible,
        visible_groups,
        visible_where,
        withheld_fields,
        withheld_from,
        withheld_links,
    )
    from accord.policy.principal import PrincipalContext, principal_context
    from accord.policy.rules import (
        HANDLING_PROPERTIES,
        REDACTED_FIELDS,
        SENSITIVE_CATEGORIES,
        WITHHELD_OBSERVABLES,
        may_name_source,
        redactions_for,
        tlp_grant,
        withhold,
    )
    from accord.policy.selectors import may_know_exists

# Each public name and the submodule that defines it.
_HOMES = {
    "audience_visible": "audience",
    "in_audience": "audience",
    "Action": "decision",
    "Decision": "decision",
    "Rule": "decision",
    "decide": "decision",
    "nameable_sources": "decision",
    "originator_agreements": "decision",
    "source_nameable": "decision",
    "Visibility": "decision",
    "visibility": "decision",
    "visible": "decision",
    "visible_groups": "decision",
    "visible_where": "decision",
    "withheld_fields": "decision",
    "withheld_from": "decision",
    "withheld_links": "decision",
    "PrincipalContext": "principal",
    "principal_context": "principal",
    "HANDLING_PROPERTIES": "rules",
    "REDACTED_FIELDS": "rules",
    "SENSITIVE_CATEGORIES": "rules",
    "WITHHELD_OBSERVABLES": "rules",
    "may_name_source": "rules",
    "redactions_for": "rules",
    "tlp_grant": "rules",
    "withhold": "rules",
    "may_know_exists": "selectors",
}

__all__ = [
    "HANDLING_PROPERTIES",
    "REDACTED_FIELDS",
    "SENSITIVE_CATEGORIES",
    "WITHHELD_OBSERVABLES",
    "Action",
    "Decision",
    "PrincipalContext",
    "Rule",
    "Visibility",
    "audience_visible",
    "decide",
    "in_audience",
    "may_know_exists",
    "may_name_source",
    "nameable_sources",
    "originator_agreements",
    "principal_context",
    "redactions_for",
    "source_nameable",
    "tlp_grant",
    "visibility",
    "visible",
    "visible_groups",
    "visible_where",
    "withheld_fields",
    "withheld_from",
    "withheld_links",
    "withhold",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
