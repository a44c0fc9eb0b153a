"""Exports of shared data in the formats partners load into their tools (STIX, MISP, CSV,
Suricata, Snort, RPZ, blocklists), through the policy with the ``export`` action."""
