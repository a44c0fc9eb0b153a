"""Forms on the operation page for what the API already does: phases and participants."""

from __future__ import annotations

from datetime import timedelta

from tests.operations.conftest import login


def test_phases_and_participants_on_the_operation_page(sentinel, people, heads, france):
    operation = sentinel
    url = f"/governance/operations/{operation.pk}/"
    client = login(people["programme_manager"])
    before = operation.start_date - timedelta(days=5)
    body = {"op": "phase", "phase-name": "Preparation", "phase-start_date": before, "phase-end_date": before}
    refused = client.post(url, body)
    assert refused.context["phase_form"].errors == {"start_date": ["a phase lies within the operation's period."]}
    assert not operation.phases.exists()
    body["phase-start_date"] = body["phase-end_date"] = operation.start_date
    assert "Phase added." in client.post(url, body, follow=True).content.decode()
    assert (
        login(heads["kenya"]).post(url, {"op": "participants", "participants-participants": [france.pk]}).status_code
        == 403
    )
    done = client.post(url, {"op": "participants", "participants-participants": [france.pk]}, follow=True)
    assert "Participants updated." in done.content.decode()
    assert set(operation.participants.values_list("pk", flat=True)) == {france.pk, operation.lead_id}
