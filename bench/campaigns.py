"""Campaigns benchmark: a partner's campaign list, computed from what it sees, on a large store.

``python -m bench.campaigns [objects]`` (20,000 by default): the synthetic store of
``bench.analysis`` (TLP:GREEN objects of 20 organisations, planted clusters, a few hot values),
rebuilt, then the campaign list read by a partner's reader: the first read (its campaigns
computed and written), the next ones (the store unchanged: one query finds nothing to do) and
host staff's list of the stored campaigns, for comparison.
"""

from __future__ import annotations

import sys
import time

from bench.analysis import _populate, _setup
from bench.common import report, timed


def run(objects: int = 20_000) -> None:
    _setup(objects)
    from accord.analysis.models import ReaderCampaignMember
    from accord.analysis.selectors import campaign_list
    from accord.analysis.services import analysis_rebuild
    from accord.analysis.warninglists import index
    from accord.core.choices import Role
    from accord.core.models import User

    index()
    print(f"\nCampaigns as a partner sees them ({objects} objects)")
    _populate(objects)
    start = time.perf_counter()
    analysis_rebuild(actor=None)
    print(f"  rebuild              {time.perf_counter() - start:8.2f} s")
    reader = User.objects.filter(role=Role.PARTNER_READER, organisation__is_host=False).order_by("pk").first()
    analyst = User.objects.filter(role=Role.ANALYST).order_by("pk").first()
    assert reader is not None and analyst is not None  # noqa: S101 - the demo made them

    def partner_page() -> None:
        rows = campaign_list(principal=reader)
        rows.count()
        list(rows[:50])

    def host_page() -> None:
        rows = campaign_list(principal=analyst)
        rows.count()
        list(rows[:50])

    report("partner list, first read (computed, written)", timed(partner_page, 1))
    members = ReaderCampaignMember.objects.filter(campaign__reader=reader).count()
    print(f"  the partner sees {campaign_list(principal=reader).count()} campaigns of {members} members")
    report("partner list, next reads (store unchanged)", timed(partner_page, 3))
    report("host list (stored campaigns)", timed(host_page, 3))


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
