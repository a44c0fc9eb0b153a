"""Joint operations as their own app, over the tables governance created for them.

The models are added to Django's record only (``state_operations``): their tables exist already,
made by governance's migrations 0001 and 0002 under the names each model's ``db_table`` keeps.
Governance's migration 0004 then drops them from its own record. Nothing is created, copied or
dropped in the database.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import accord.core.regions


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("governance", "0003_meeting_cancel_overdue_notice"),
        ("analysis", "0005_observable_types_asn_mutex_registry_user"),
        ("core", "0004_scheduledrun"),
        ("taxii", "0003_collection_kind_report"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Operation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=200, unique=True)),
                        ("codename", models.SlugField(max_length=60, unique=True)),
                        ("description", models.TextField(blank=True)),
                        ("crime_types", models.JSONField(default=list)),
                        ("start_date", models.DateField()),
                        ("end_date", models.DateField(blank=True, null=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[("planning", "Planning"), ("active", "Active"), ("closed", "Closed")],
                                default="planning",
                                max_length=16,
                            ),
                        ),
                        ("closing_summary", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        (
                            "collection",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="operation",
                                to="taxii.collection",
                            ),
                        ),
                        (
                            "lead",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="led_operations",
                                to="core.organisation",
                            ),
                        ),
                        ("participants", models.ManyToManyField(related_name="operations", to="core.organisation")),
                    ],
                    options={
                        "db_table": "governance_operation",
                        "ordering": ["-start_date", "name"],
                    },
                ),
                migrations.CreateModel(
                    name="OperationCampaign",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("note", models.CharField(blank=True, max_length=300)),
                        ("linked_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        (
                            "campaign",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="operation_links",
                                to="analysis.campaign",
                            ),
                        ),
                        (
                            "linked_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "operation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="campaign_links",
                                to="operations.operation",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "governance_operationcampaign",
                        "ordering": ["linked_at", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="OperationObject",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("stix_id", models.CharField(max_length=100)),
                        ("note", models.CharField(blank=True, max_length=300)),
                        ("linked_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        (
                            "linked_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "operation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="object_links",
                                to="operations.operation",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "governance_operationobject",
                        "ordering": ["linked_at", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="OperationOutcome",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("date", models.DateField()),
                        (
                            "country",
                            models.CharField(
                                blank=True, max_length=2, validators=[accord.core.regions.validate_country]
                            ),
                        ),
                        ("arrests", models.PositiveIntegerField(default=0)),
                        ("searches", models.PositiveIntegerField(default=0)),
                        ("servers_taken_down", models.PositiveIntegerField(default=0)),
                        ("domains_taken_down", models.PositiveIntegerField(default=0)),
                        ("accounts_blocked", models.PositiveIntegerField(default=0)),
                        ("funds_frozen", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                        ("funds_recovered", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                        ("currency", models.CharField(blank=True, max_length=3)),
                        ("victims_identified", models.PositiveIntegerField(default=0)),
                        ("victims_notified", models.PositiveIntegerField(default=0)),
                        ("devices_remediated", models.PositiveIntegerField(default=0)),
                        ("note", models.TextField(blank=True)),
                        ("recorded_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        (
                            "operation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="outcomes",
                                to="operations.operation",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "governance_operationoutcome",
                        "ordering": ["date", "pk"],
                    },
                ),
                migrations.CreateModel(
                    name="OperationPhase",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=120)),
                        ("start_date", models.DateField()),
                        ("end_date", models.DateField()),
                        ("description", models.TextField(blank=True)),
                        (
                            "operation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="phases",
                                to="operations.operation",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "governance_operationphase",
                        "ordering": ["start_date", "pk"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="operation",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("end_date__isnull", True), ("end_date__gte", models.F("start_date")), _connector="OR"
                        ),
                        name="governance_operation_period_ordered",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="operationcampaign",
                    constraint=models.UniqueConstraint(
                        fields=("operation", "campaign"), name="governance_campaign_linked_once"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="operationobject",
                    constraint=models.UniqueConstraint(
                        fields=("operation", "stix_id"), name="governance_object_linked_once"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="operationoutcome",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("funds_frozen__gte", 0), ("funds_recovered__gte", 0)),
                        name="governance_outcome_funds_positive",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="operationphase",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("end_date__gte", models.F("start_date"))), name="governance_phase_ordered"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
