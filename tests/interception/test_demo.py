"""The interception demo: a BEC case whose funds hop across three banks, one a partner that
freezes part, linked to Operation First Light; and a late request on the dashboard."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.management import call_command

from accord.core.audit import audit_verify
from accord.core.models import User
from accord.interception import selectors
from accord.interception.models import InterceptionRequest
from accord.operations.models import Operation
from accord.operations.selectors import operation_totals


def test_demo_loads_the_money_trail_once(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo", stdout=io.StringIO())
    count = InterceptionRequest.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert InterceptionRequest.objects.count() == count == 4
    first = InterceptionRequest.objects.get(case_reference="NCU/BEC/2026/0311", parent=None)
    unit = User.objects.get(username="k.mwangi")
    chain = selectors.interception_chain(principal=unit, request=first)
    assert [r.addressee.short_name or r.addressee.is_host for r in chain] == ["Atlas Bank", True, "BR-FCD"]
    assert [r.routed_as for r in chain] == ["partner", "host", "country_unit"]
    assert [o.kind for o in first.outcomes.all()] == ["frozen", "gone"]
    first_light = Operation.objects.get(codename="first-light-2026")
    assert operation_totals(operation=first_light)["intercepted"]["USD"] == {
        "frozen": Decimal("38000.00"),
        "recovered": Decimal("12000.00"),
    }
    atlas = User.objects.get(username="f.alnuaimi")
    waiting = selectors.interceptions_waiting(principal=atlas)
    assert [w.request.case_reference for w in waiting] == ["JCCU-RS-2026-077"]
    assert waiting[0].late
    assert audit_verify().ok
