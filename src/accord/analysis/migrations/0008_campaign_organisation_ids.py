from collections import defaultdict

from django.db import migrations, models


def fill(apps, schema_editor):
    """Each campaign's contributing organisations, from its members (once, at upgrade)."""
    Campaign = apps.get_model("analysis", "Campaign")
    CampaignMember = apps.get_model("analysis", "CampaignMember")
    found = defaultdict(set)
    pairs = CampaignMember.objects.values_list("campaign_id", "stix_object__organisation_id").distinct()
    for campaign, organisation in pairs.iterator(chunk_size=20000):
        found[campaign].add(organisation)
    for campaign, organisations in found.items():
        Campaign.objects.filter(pk=campaign).update(organisation_ids=sorted(organisations))


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0007_enrichment_moved_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="organisation_ids",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The contributing organisations' ids, sorted (kept as members join).",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
