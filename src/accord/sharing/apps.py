"""Application config for :mod:`accord.sharing`."""

from django.apps import AppConfig


class SharingConfig(AppConfig):
    """The shared-object store: STIX objects with their provenance and handling conditions."""

    name = "accord.sharing"
    label = "sharing"
    verbose_name = "Information sharing"

    def ready(self) -> None:
        """Watch every change to a partnership, and the passing of agreements' windows: what
        they make visible to an organisation, or hide from it, reaches TAXII pollers
        (:mod:`accord.sharing.services.visibility`)."""
        from accord.partners.watchers import register_partnership_watcher, register_window_watcher
        from accord.sharing.services.visibility import partnership_watch, visibility_windows_pass

        register_partnership_watcher(partnership_watch)
        register_window_watcher(visibility_windows_pass)

    def prepare_to_serve(self) -> None:
        """``accord serve``: what the store listeners consult (the warning lists), loaded by each
        worker before it takes requests."""
        from accord.sharing.listeners import prepare_listeners

        prepare_listeners()

    def stored_files(self, using: str) -> dict[str, set[str]]:
        """``accord backup``: the raw submissions (content-addressed) the rows of ``using`` name,
        in the raw store."""
        from accord.core.files import RAW
        from accord.sharing.models import Submission

        digests = Submission.objects.using(using).values_list("sha256", flat=True).distinct()
        return {RAW: {Submission(sha256=digest).raw_path for digest in digests}}
