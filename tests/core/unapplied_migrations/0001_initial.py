"""A migration no database has applied: /readyz must notice it."""

from django.db import migrations


class Migration(migrations.Migration):
    operations: list[migrations.operations.base.Operation] = []
