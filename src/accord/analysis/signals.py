"""What the analysis app tells the apps that refer to its campaigns.

Campaigns are maintained automatically, so an app holding a reference to one (an operation
linking it) cannot learn from a service call that it was merged away. ``campaigns_merged`` is
sent inside the transaction that merges, before the absorbed campaigns are deleted, with
``survivor`` (the campaign id that remains) and ``absorbed`` (the ids about to go): a receiver
moves its references to the survivor, or they would be lost with the absorbed campaigns. When
an analyst or upkeep merges, it is sent before the members move, so that a receiver may read
who was in which campaign (the merge notices do); a rebuild announces afterwards, having
regrouped every member at once.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["campaigns_merged"]

campaigns_merged = Signal()
