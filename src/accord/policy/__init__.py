"""THE access decision over shared data: agreements as code.

``decide(principal, obj, action, purpose)`` answers for one object and says why;
``visible(principal, queryset, action, purpose)`` filters a queryset in SQL with the same rules.
Both evaluate the same predicates (:mod:`accord.policy.rules`), and a generated test matrix
checks that they never disagree. Import them from here; they load lazily because this package
is also a Django app, imported before the models are ready.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Action", "Decision", "PrincipalContext", "Rule", "decide", "principal_context", "visible"]


def __getattr__(name: str) -> Any:
    if name in {"Action", "Decision", "Rule", "decide", "visible"}:
        from accord.policy import decision

        return getattr(decision, name)
    if name in {"PrincipalContext", "principal_context"}:
        from accord.policy import principal

        return getattr(principal, name)
    raise AttributeError(name)
