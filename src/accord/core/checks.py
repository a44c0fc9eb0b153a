"""Moved to :mod:`accord.core.guards` (service guards, not Django system checks); this name is
kept only until the apps still importing it switch over."""

from accord.core.guards import all_of, invalid, one_of, require

__all__ = ["all_of", "invalid", "one_of", "require"]
