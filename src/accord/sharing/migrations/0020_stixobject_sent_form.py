"""Every stored version gets the form its body is sent in (accord.sharing.sent): computed from
the body and TLP now, as the store computes it for the versions it writes from here on."""

from typing import Any

from django.db import migrations, models

BATCH = 2000


def fill(apps: Any, schema_editor: Any) -> None:
    # The store's own rule, not a frozen copy: it must agree with what TAXII reads assume today.
    from accord.sharing.choices import SentForm
    from accord.sharing.sent import sent_form

    stix_object = apps.get_model("sharing", "StixObject")
    found: dict[int, list[int]] = {}
    rows = stix_object.objects.using(schema_editor.connection.alias).values_list("pk", "body", "tlp")
    for pk, body, tlp in rows.iterator(chunk_size=BATCH):
        form = sent_form(body if isinstance(body, dict) else {}, tlp)
        if form != SentForm.REWRITTEN:
            found.setdefault(int(form), []).append(pk)
    for form, pks in found.items():
        for start in range(0, len(pks), BATCH):
            stix_object.objects.using(schema_editor.connection.alias).filter(pk__in=pks[start : start + BATCH]).update(
                sent_form=form
            )


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0019_revoked_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="stixobject",
            name="sent_form",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (0, "Read and rewritten"),
                    (1, "As stored"),
                    (2, "As stored, marked"),
                    (3, "As stored, marked, Accord's properties declared"),
                    (4, "As stored, Accord's properties declared"),
                ],
                db_default=0,
                default=0,
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
