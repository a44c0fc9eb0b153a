"""Backup and restore of a whole installation: ``accord backup FILE`` and ``accord restore FILE``.

The database snapshot (SQLite's online backup, or ``pg_dump`` of one exported snapshot), the
stored files that snapshot refers to, and the secret key, in one tar archive whose manifest
holds the SHA-256 of every member, the migrations applied, every table's row count and the
audit chain's verdict; a restore verifies all of it before it touches anything, and compares
the restored database with the manifest.
"""

from accord.core.backup.databases import BackupError
from accord.core.backup.services import BackupReport, backup_create, backup_restore

__all__ = ["BackupError", "BackupReport", "backup_create", "backup_restore"]
