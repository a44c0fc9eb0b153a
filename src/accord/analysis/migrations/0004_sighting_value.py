"""Sightings keep the value seen; the observable becomes optional (a sighting creates none)."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_values(apps: Any, schema_editor: Any) -> None:
    """Each existing sighting takes the type and value of its observable."""
    sighting = apps.get_model("analysis", "Sighting")
    observable = apps.get_model("sharing", "Observable").objects.filter(pk=OuterRef("observable_id"))
    sighting.objects.update(
        type=Subquery(observable.values("type")[:1]),
        value=Subquery(observable.values("value")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0003_report_collection"),
        ("sharing", "0002_stixobject_credibility_stixobject_reliability_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="sighting",
            name="type",
            field=models.CharField(
                choices=[
                    ("ipv4", "IPv4 address"),
                    ("ipv6", "IPv6 address"),
                    ("domain", "Domain name"),
                    ("url", "URL"),
                    ("email", "E-mail address"),
                    ("md5", "MD5 hash"),
                    ("sha1", "SHA-1 hash"),
                    ("sha256", "SHA-256 hash"),
                    ("iban", "IBAN"),
                    ("btc", "Bitcoin address"),
                    ("eth", "Ethereum address"),
                    ("xmr", "Monero address"),
                    ("phone", "Phone number"),
                ],
                default="",
                max_length=16,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="sighting",
            name="value",
            field=models.CharField(default="", help_text="The canonical value seen.", max_length=2048),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="sighting",
            name="observable",
            field=models.ForeignKey(
                blank=True,
                help_text="The stored observable of this value, when there is one.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="sightings",
                to="sharing.observable",
            ),
        ),
        migrations.RunPython(copy_values, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="sighting",
            index=models.Index(fields=["type", "value"], name="analysis_sighting_value"),
        ),
    ]
