"""Marking definitions stored as shared objects before they had a store of their own move to it:
the standard TLP ones are dropped (they are known as published), any other is kept once, as its
sender sent it (without the data category the ingest added). Objects stored before get their
granular TLP labels and their references to marking definitions recorded, as the ingest now does."""

from typing import Any

from django.db import migrations

from accord.formats.markings import STANDARD_DEFINITIONS, TLP_BY_MARKING, granular_tlps, marking_refs
from accord.policy import HANDLING_PROPERTIES


def forwards(apps: Any, schema_editor: Any) -> None:
    stix_object = apps.get_model("sharing", "StixObject")
    definition = apps.get_model("sharing", "MarkingDefinition")
    object_marking = apps.get_model("sharing", "ObjectMarking")
    stored = stix_object.objects.filter(type="marking-definition").order_by("added_at", "pk")
    for row in stored.iterator():
        if row.stix_id in STANDARD_DEFINITIONS:
            continue
        body = {name: value for name, value in row.body.items() if name not in HANDLING_PROPERTIES}
        definition.objects.get_or_create(
            stix_id=row.stix_id,
            defaults={"body": body, "organisation_id": row.organisation_id, "submission_id": row.submission_id},
        )
    stored.delete()
    links = []
    for pk, body in stix_object.objects.values_list("pk", "body").iterator(chunk_size=2000):
        if not isinstance(body, dict):
            continue
        labels = granular_tlps(body)
        if labels:
            stix_object.objects.filter(pk=pk).update(granular_tlps=",".join(sorted(labels)))
        links.extend(
            object_marking(stix_object_id=pk, marking_ref=ref)
            for ref in marking_refs(body)
            if ref not in TLP_BY_MARKING
        )
        if len(links) >= 2000:
            object_marking.objects.bulk_create(links, ignore_conflicts=True)
            links = []
    object_marking.objects.bulk_create(links, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0013_markings"),
        # Shared objects are deleted here: the tables that refer to them must exist to follow.
        ("analysis", "0005_observable_types_asn_mutex_registry_user"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
