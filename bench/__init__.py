"""Benchmarks: ``make bench`` (``python -m bench``) prints figures; tests never time anything."""
