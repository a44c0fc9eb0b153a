"""Enrichment leaves analysis for its own app (:mod:`accord.enrichment`).

Only Django's record of the models moves: the tables stay as they are, under their names
(``analysis_enricher``, ``analysis_enrichment``), and ``accord.enrichment`` takes them over in its
first migration, which runs before this one. No row is copied, so existing installations migrate
in an instant.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0006_reader_campaigns"),
        ("enrichment", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="enrichment",
                    name="enricher",
                ),
                migrations.RemoveField(
                    model_name="enrichment",
                    name="observable",
                ),
                migrations.RemoveField(
                    model_name="enrichment",
                    name="provider",
                ),
                migrations.RemoveField(
                    model_name="enrichment",
                    name="requested_by",
                ),
                migrations.RemoveField(
                    model_name="enrichment",
                    name="submission",
                ),
                migrations.DeleteModel(
                    name="Enricher",
                ),
                migrations.DeleteModel(
                    name="Enrichment",
                ),
            ],
            database_operations=[],
        ),
    ]
