"""The skills vocabulary the programme starts with; programme managers add more."""

from django.db import migrations

SKILLS = [
    ("malware_analysis", "Malware analysis", "Static and dynamic analysis, reverse engineering, sandboxing."),
    ("digital_forensics", "Digital forensics", "Acquisition and examination of devices, disks and memory."),
    ("osint", "OSINT", "Open-source intelligence: collection and verification from public sources."),
    ("blockchain_analysis", "Blockchain analysis", "Tracing crypto-asset flows, clustering, exchange attribution."),
    ("incident_response", "Incident response", "Containment, triage and recovery of intrusions and ransomware."),
    ("threat_intelligence", "Threat intelligence", "Actor tracking, indicators, STIX/TAXII, campaign analysis."),
    ("cybercrime_investigation", "Cybercrime investigation", "Case building, evidence, cross-border cooperation."),
    ("data_science", "Data science", "Statistics, machine learning and large-scale data processing."),
]


def seed(apps, schema_editor):
    Skill = apps.get_model("programme", "Skill")
    for code, label, description in SKILLS:
        Skill.objects.get_or_create(code=code, defaults={"label": label, "description": description})


def unseed(apps, schema_editor):
    apps.get_model("programme", "Skill").objects.filter(code__in=[code for code, _, _ in SKILLS]).delete()


class Migration(migrations.Migration):
    dependencies = [("programme", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
