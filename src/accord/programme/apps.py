"""Application config for :mod:`accord.programme`."""

from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    """Secondment of experts (profiles, requests, matching, placements) and training (courses,
    sessions, sponsorships, enrolments, certificates), with their reports."""

    name = "accord.programme"
    label = "programme"
    verbose_name = "Secondment and training"
