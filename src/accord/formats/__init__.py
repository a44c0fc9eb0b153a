"""Readers (and later writers) of the formats partners share in: STIX 2.1, MISP JSON, CSV, text."""
