"""Policy benchmark: the SQL form over a large store, and per-object decisions."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from typing import Any

from django.utils import timezone

from bench.common import report, timed


def run() -> None:
    from accord.core.choices import DataCategory, Tlp
    from accord.core.models import Organisation, User
    from accord.policy import decide, principal_context, visible
    from accord.sharing.models import StixObject

    objects = 100_000
    now = timezone.now()
    partners = list(Organisation.objects.filter(is_host=False, agreements__kind="data_sharing").distinct())
    agreement_of = {
        o.pk: o.agreements.filter(kind="data_sharing", status="active").values_list("pk", flat=True).first()
        for o in partners
    }
    labels = itertools.cycle(Tlp.values)
    categories = itertools.cycle(DataCategory.values)
    rows = [
        StixObject(
            stix_id=f"indicator--bench-{n:08}",
            type="indicator",
            created=now,
            modified=now,
            organisation=partners[n % len(partners)],
            agreement_id=agreement_of[partners[n % len(partners)].pk],
            tlp=next(labels),
            data_category=next(categories),
            expires_at=now + timedelta(days=365),
        )
        for n in range(objects)
    ]
    start = time.perf_counter()
    StixObject.objects.bulk_create(rows, batch_size=5000)
    print(
        f"\nPolicy ({objects} shared objects from {len(partners)} partners; loaded in "
        f"{time.perf_counter() - start:.1f} s)"
    )

    for username in ("analyst", "reader", "k.mwangi"):
        user: Any = User.objects.get(username=username)
        context = principal_context(user)
        count = visible(context, StixObject.objects.all()).count()
        report(
            f"visible().count() for {username} ({count} visible)",
            timed(lambda u=user: visible(principal_context(u), StixObject.objects.all()).count(), 10),
        )
        page = list(
            visible(context, StixObject.objects.all())
            .select_related("agreement__current_version")
            .prefetch_related("recipients", "addressed_to")[:1000]
        )
        report(
            f"decide() x{len(page)} for {username} (one page)",
            timed(lambda c=context, p=page: [decide(c, o) for o in p], 5),
            len(page),
        )
        # refusals are counted (accord_policy_denials_total): what counting them costs
        refused = list(
            StixObject.objects.exclude(pk__in=visible(context, StixObject.objects.all()).values("pk"))
            .select_related("agreement__current_version")
            .prefetch_related("recipients", "addressed_to")[:10_000]
        )
        if refused:
            report(
                f"decide() x{len(refused)} refused for {username}",
                timed(lambda c=context, r=refused: [decide(c, o) for o in r], 5),
                len(refused),
            )
