"""Joint operations leave governance for their own app (:mod:`accord.operations`).

Only Django's record of the models moves: the tables stay as they are, under their names
(``governance_operation`` …), and ``accord.operations`` takes them over in its first migration,
which runs before this one. No row is copied, so existing installations migrate in an instant.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0003_meeting_cancel_overdue_notice"),
        ("operations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="operation",
                    name="collection",
                ),
                migrations.RemoveField(
                    model_name="operation",
                    name="lead",
                ),
                migrations.RemoveField(
                    model_name="operation",
                    name="participants",
                ),
                migrations.RemoveField(
                    model_name="operationcampaign",
                    name="operation",
                ),
                migrations.RemoveField(
                    model_name="operationobject",
                    name="operation",
                ),
                migrations.RemoveField(
                    model_name="operationoutcome",
                    name="operation",
                ),
                migrations.RemoveField(
                    model_name="operationcampaign",
                    name="campaign",
                ),
                migrations.RemoveField(
                    model_name="operationcampaign",
                    name="linked_by",
                ),
                migrations.RemoveField(
                    model_name="operationobject",
                    name="linked_by",
                ),
                migrations.RemoveField(
                    model_name="operationoutcome",
                    name="recorded_by",
                ),
                migrations.DeleteModel(
                    name="OperationPhase",
                ),
                migrations.DeleteModel(
                    name="Operation",
                ),
                migrations.DeleteModel(
                    name="OperationCampaign",
                ),
                migrations.DeleteModel(
                    name="OperationObject",
                ),
                migrations.DeleteModel(
                    name="OperationOutcome",
                ),
            ],
            database_operations=[],
        ),
    ]
