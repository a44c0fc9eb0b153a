"""Application config for :mod:`accord.partners`."""

from django.apps import AppConfig


class PartnersConfig(AppConfig):
    """Partnership applications and vetting, agreements and their lifecycle, the partner directory."""

    name = "accord.partners"
    label = "partners"
    verbose_name = "Partnerships"

    def initialise(self) -> None:
        """``accord init``: the handling rules of the host's own data sets."""
        from accord.partners.services import host_data_agreement_ensure

        host_data_agreement_ensure()
