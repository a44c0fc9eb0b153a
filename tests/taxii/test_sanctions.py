"""What a token's scopes and an organisation's sanctions allow over TAXII and the API: a token
of the ``taxii`` scope alone reads and cannot write (adding objects needs ``write`` too); a
suspended partner shares nothing, through the API or TAXII, whatever its agreements say."""

from __future__ import annotations

import io

from accord.sharing.models import Submission
from tests.taxii.conftest import Taxii, secret_for
from tests.taxii.test_protocol import envelope, indicators, shared_id


def test_a_taxii_only_token_reads_and_cannot_write(people, inbox):
    contributor = people["partner_contributor"]
    reading = Taxii(contributor, secret_for(contributor, ("taxii",)))
    assert reading.get(f"collections/{shared_id()}/objects/").status_code == 200
    refused = reading.post(f"collections/{inbox.pk}/objects/", envelope(*indicators(1)))
    assert refused.status_code == 403
    assert "lacks the 'write' scope" in refused.json()["description"]
    writing = Taxii(contributor, secret_for(contributor, ("taxii", "write")))
    assert writing.post(f"collections/{inbox.pk}/objects/", envelope(*indicators(1))).status_code == 202


def test_a_suspended_partner_shares_nothing(people, inbox, partner, api_for):
    contributor = people["partner_contributor"]
    taxii = Taxii(contributor, secret_for(contributor))
    partner.status = "suspended"
    partner.save(update_fields=["status"])
    over_taxii = taxii.post(f"collections/{inbox.pk}/objects/", envelope(*indicators(1)))
    assert over_taxii.status_code == 403, over_taxii.content
    assert "is suspended: it shares nothing" in over_taxii.json()["description"]
    upload = io.BytesIO(b'{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": []}')
    upload.name = "b.json"
    over_api = api_for("partner_contributor").post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert over_api.status_code == 403 and "is suspended" in over_api.json()["error"]["message"]
    assert not Submission.objects.exists()
