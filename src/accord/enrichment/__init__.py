"""Enrichment: analysis tools (the platform's own, offline, and partners' services) run on
observables, each under its provider's agreement and TLP ceiling, with every result's provenance."""
