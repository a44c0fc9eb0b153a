"""Accord: the platform a law-enforcement cybercrime programme runs with its partners."""

__version__ = "0.1.0"
