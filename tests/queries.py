"""The statements a bounded read adds to a page's pinned queries (accord.core.planner)."""

from django.db import connection

# On PostgreSQL a bounded read (a store list's capped count, a TAXII listing) turns parallel
# workers off for its statement and, inside the test's transaction, back on: two statements.
BOUNDED_READ = 2 if connection.vendor == "postgresql" else 0
