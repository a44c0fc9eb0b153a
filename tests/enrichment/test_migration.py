"""An installation of the release before enrichment had its own app migrates to this one with its
enrichers and results intact: the models change app, the tables and their rows stay where they are."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accord.core.models import AuditEvent
from accord.enrichment import selectors, services
from accord.enrichment.models import Enricher, Enrichment
from accord.sharing.models import Observable

# The last migration of analysis while it still held enrichment.
BEFORE = [("analysis", "0006_reader_campaigns"), ("enrichment", None)]


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    """Migrate to ``targets``; the project state there (its historical models)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest() -> None:
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_enrichment_written_before_the_cut_is_read_through_the_new_app(people, host):
    observable = Observable.objects.create(type="iban", value="GB33BUKB20201555555555")
    try:
        old = _migrate(BEFORE)
        assert "enrichment" not in old.all_models
        OldEnricher = old.get_model("analysis", "Enricher")
        enricher = OldEnricher.objects.create(
            name="iban-registry", kind="iban", organisation_id=host.pk, types=["iban"], tlp_ceiling="red"
        )
        result = old.get_model("analysis", "Enrichment").objects.create(
            observable_id=observable.pk,
            enricher=enricher,
            provider_id=host.pk,
            requested_by_id=people["analyst"].pk,
            tlp_sent="amber",
            status="ok",
            result={"bank": "Barclays"},
        )
    finally:
        _latest()

    found = Enricher.objects.get(name="iban-registry")
    assert found.pk == enricher.pk and found.organisation == host and found.types == ["iban"]
    assert Enricher._meta.db_table == "analysis_enricher" and Enrichment._meta.db_table == "analysis_enrichment"
    stored = Enrichment.objects.get(pk=result.pk)
    assert (stored.enricher, stored.observable, stored.requested_by) == (found, observable, people["analyst"])
    assert stored.result == {"bank": "Barclays"} and stored.tlp_sent == "amber"
    assert [r.pk for r in selectors.enrichment_list(principal=people["admin"], observable=observable)] == [result.pk]

    # It carries on under the new app; its audit events keep the names the older ones have.
    services.enricher_update(actor=people["admin"], enricher=found, enabled=False)
    event = AuditEvent.objects.get(action="enricher.update")
    assert (event.object_type, event.object_id) == ("analysis.enricher", str(found.pk))
    added = services.enricher_add(actor=None, name="phone-metadata", kind="phone", organisation=host, tlp_ceiling="red")
    event = AuditEvent.objects.get(action="enricher.add")
    assert (event.object_type, event.object_id) == ("analysis.enricher", str(added.pk))
