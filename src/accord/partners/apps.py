"""Application config for :mod:`accord.partners`."""

from django.apps import AppConfig


class PartnersConfig(AppConfig):
    """Partnership applications and vetting, agreements and their lifecycle, the partner directory."""

    name = "accord.partners"
    label = "partners"
    verbose_name = "Partnerships"
