"""Enrichment as its own app, over the tables the analysis app created for it.

The models are added to Django's record only (``state_operations``): their tables exist already,
made by analysis's migration 0001 under the names each model's ``db_table`` keeps
(``analysis_enricher``, ``analysis_enrichment``), with their constraints and index. Analysis's
migration 0007 then drops them from its own record. Nothing is created, copied or dropped in the
database.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("analysis", "0006_reader_campaigns"),
        ("core", "0004_scheduledrun"),
        ("partners", "0002_partnershipapplication_partners_one_open_application"),
        ("sharing", "0014_marking_definitions_out_of_shared_data"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Enricher",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.SlugField(max_length=64, unique=True)),
                        ("title", models.CharField(blank=True, max_length=200)),
                        (
                            "kind",
                            models.CharField(
                                help_text="A registered enricher kind (accord.enrichment.enrichers).", max_length=32
                            ),
                        ),
                        ("types", models.JSONField(default=list, help_text="Observable types it is used for.")),
                        (
                            "tlp_ceiling",
                            models.CharField(
                                choices=[
                                    ("clear", "TLP:CLEAR"),
                                    ("green", "TLP:GREEN"),
                                    ("amber", "TLP:AMBER"),
                                    ("amber+strict", "TLP:AMBER+STRICT"),
                                    ("red", "TLP:RED"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("timeout_seconds", models.PositiveSmallIntegerField(default=10)),
                        ("enabled", models.BooleanField(default=True)),
                        ("run_on_ingest", models.BooleanField(default=False)),
                        ("url", models.URLField(blank=True, max_length=1000)),
                        ("secret_sealed", models.TextField(blank=True, help_text="The signing secret, encrypted.")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "agreement",
                            models.ForeignKey(
                                blank=True,
                                help_text="The analysis-tools agreement it is provided under (none for the host's own tools).",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="enrichers",
                                to="partners.agreement",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="enrichers",
                                to="core.organisation",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "analysis_enricher",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="Enrichment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "trigger",
                            models.CharField(
                                choices=[("request", "On request"), ("ingest", "On ingest")],
                                default="request",
                                max_length=8,
                            ),
                        ),
                        (
                            "tlp_sent",
                            models.CharField(
                                choices=[
                                    ("clear", "TLP:CLEAR"),
                                    ("green", "TLP:GREEN"),
                                    ("amber", "TLP:AMBER"),
                                    ("amber+strict", "TLP:AMBER+STRICT"),
                                    ("red", "TLP:RED"),
                                ],
                                help_text="The value's TLP when it was sent.",
                                max_length=16,
                            ),
                        ),
                        ("status", models.CharField(choices=[("ok", "OK"), ("failed", "Failed")], max_length=8)),
                        ("result", models.JSONField(blank=True, default=dict)),
                        ("error", models.TextField(blank=True)),
                        ("duration_ms", models.PositiveIntegerField(default=0)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        (
                            "enricher",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="results",
                                to="enrichment.enricher",
                            ),
                        ),
                        (
                            "observable",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="enrichments",
                                to="sharing.observable",
                            ),
                        ),
                        (
                            "provider",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.organisation"
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "submission",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="sharing.submission",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "analysis_enrichment",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="enricher",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("tlp_ceiling__in", ["clear", "green", "amber", "amber+strict", "red"])),
                        name="analysis_enricher_tlp_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="enricher",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("timeout_seconds__gte", 1), ("timeout_seconds__lte", 120)),
                        name="analysis_enricher_timeout_range",
                    ),
                ),
                migrations.AddIndex(
                    model_name="enrichment",
                    index=models.Index(fields=["observable", "enricher", "status"], name="analysis_enrichment_obs_idx"),
                ),
            ],
            database_operations=[],
        ),
    ]
