"""``/api/v1/policy/explain/`` and the decision's words: the deciding rule, the agreements read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.policy import Action, Rule, decide, nameable_sources, principal_context, visible
from accord.sharing.models import StixObject
from tests.factories import OrganisationFactory, UserFactory, make_agreement

URL = "/api/v1/policy/explain/"


def share(originator: Any, *, tlp: str = "green", category: str = "technical_indicator", **extra: Any) -> StixObject:
    now = timezone.now()
    count = StixObject.objects.count()
    return StixObject.objects.create(
        stix_id=f"indicator--00000000-0000-4000-8000-{count:012}",
        type="indicator",
        created=now,
        modified=now,
        organisation=originator,
        agreement=originator.agreements.filter(kind="data_sharing").first(),
        tlp=tlp,
        data_category=category,
        **extra,
    )


@pytest.fixture
def originator(db: Any) -> Any:
    organisation = OrganisationFactory(name="Atlas Bank Group", country="AE", sector="banking_finance")
    make_agreement(organisation, onward_redactions=["personal_data"], onward_kinds=["law_enforcement", "private"])
    return organisation


def test_an_expired_agreement_is_explained_in_plain_words(api_for, people, partner, originator):
    expired = make_agreement(partner, status="expired", valid_until=timezone.now() - timedelta(days=5))
    obj = share(originator)
    body = api_for("partner_reader").get(URL, {"object": obj.stix_id, "purpose": "investigation"}).json()
    assert body["allowed"] is False
    assert body["rule"] == "recipient_agreement"
    assert body["reason"] == (
        f"Your organisation's data-sharing agreement {expired.reference} expired on "
        f"{expired.current_version.valid_until:%Y-%m-%d}."
    )
    assert [a["party"] for a in body["agreements"]] == ["recipient"]  # never the originator's
    assert AuditEvent.objects.filter(action="policy.explain", details__rule="recipient_agreement").exists()


def test_allowed_with_redactions(api_for, people, partner, originator):
    make_agreement(partner)
    obj = share(originator, category="personal_data", tlp="green")
    body = api_for("partner_reader").get(URL, {"object": obj.stix_id}).json()
    assert body["allowed"] is True
    assert body["rule"] == "granted"
    assert "name" in body["redactions"] and "x_accord_data_subject" in body["redactions"]
    host = api_for("analyst").get(URL, {"object": obj.stix_id}).json()
    assert host["allowed"] is True and host["redactions"] == []


def test_onward_sharing_and_purpose_are_explained(api_for, people, partner, originator):
    make_agreement(partner)
    academia = OrganisationFactory(kind="academia", sector="", country="FR")
    make_agreement(academia)
    scholar = UserFactory(organisation=academia, role="partner_reader")
    obj = share(originator)
    # The originator does not share with academia: they may not even learn it exists...
    assert api_for(scholar).get(URL, {"object": obj.stix_id}).status_code == 404
    assert decide(principal_context(scholar), obj).rule == Rule.ONWARD_SHARING
    assert "academia organisations" in decide(principal_context(scholar), obj).reason
    # ...and the host sees both agreements consulted.
    host = api_for("analyst").get(URL, {"object": obj.stix_id}).json()
    assert [a["party"] for a in host["agreements"]] == ["originator"]
    research = api_for("partner_reader").get(URL, {"object": obj.stix_id, "purpose": "research"}).json()
    assert (research["allowed"], research["rule"]) == (False, "onward_sharing")
    assert "research" in research["reason"]


def test_objects_a_partner_cannot_know_of_are_404(api_for, people, partner, originator):
    make_agreement(partner)
    strict = share(originator, tlp="amber+strict")
    red = share(originator, tlp="red")
    client = api_for("partner_reader")
    assert client.get(URL, {"object": strict.stix_id}).status_code == 404
    assert client.get(URL, {"object": red.stix_id}).status_code == 404
    assert client.get(URL, {"object": "indicator--nope"}).status_code == 404
    host = api_for("programme_manager").get(URL, {"object": strict.stix_id}).json()
    assert host["allowed"] is True
    red_for_host = api_for("programme_manager").get(URL, {"object": red.stix_id}).json()
    assert (red_for_host["allowed"], red_for_host["rule"]) == (False, "tlp")
    assert "TLP:RED" in red_for_host["reason"]


def test_bad_parameters_and_anonymous(api_for, anon, people, originator):
    obj = share(originator)
    assert anon.get(URL, {"object": obj.stix_id}).status_code == 401
    response = api_for("analyst").get(URL, {"object": obj.stix_id, "purpose": "curiosity"})
    assert response.status_code == 400
    assert "investigation, prevention, research, training" in response.json()["error"]["message"]
    assert api_for("analyst").get(URL).status_code == 400


def test_the_originator_always_sees_its_own(people, originator):
    insider = UserFactory(organisation=originator, role="partner_reader")
    obj = share(originator, tlp="red", revoked=True)
    assert decide(principal_context(insider), obj).rule == Rule.ORIGINATOR
    assert visible(principal_context(insider), StixObject.objects.all()).filter(pk=obj.pk).exists()


def test_clear_is_public_and_nothing_else(originator):
    public = share(originator, tlp="clear")
    green = share(originator, tlp="green")
    assert decide(principal_context(None), public).allowed
    assert decide(principal_context(None), green).rule == Rule.RECIPIENT_AGREEMENT
    assert list(visible(principal_context(None), StixObject.objects.all())) == [public]


def test_export_and_share_onward_are_stricter(people, originator):
    red = share(originator, tlp="red")
    red.recipients.add(people["analyst"])
    amber = share(originator, tlp="amber")
    analyst = people["analyst"]
    assert decide(principal_context(analyst), red, Action.VIEW).allowed
    assert decide(principal_context(analyst), red, Action.EXPORT).rule == Rule.TLP
    assert decide(principal_context(analyst), amber, Action.EXPORT).allowed
    assert decide(principal_context(analyst), amber, Action.SHARE_ONWARD).rule == Rule.TLP


def test_suspended_organisation_receives_nothing(people, partner, originator):
    make_agreement(partner)
    partner.status = "suspended"
    partner.save()
    decision = decide(principal_context(people["partner_reader"]), share(originator))
    assert decision.rule == Rule.RECIPIENT_AGREEMENT
    assert "suspended" in decision.reason


def test_revoked_objects_are_not_revealed_to_partners(api_for, people, partner, originator):
    make_agreement(partner)
    gone = share(originator, revoked=True)
    assert api_for("partner_reader").get(URL, {"object": gone.stix_id}).status_code == 404
    assert api_for("partner_reader").get(URL, {"object": str(gone.pk)}).status_code == 404
    audit = api_for("auditor").get(URL, {"object": gone.stix_id}).json()
    assert audit["allowed"] is True


def test_recipient_purposes_cap_what_it_may_ask_for(people, partner, originator):
    make_agreement(partner, purposes=["prevention"])
    obj = share(originator)
    refused = decide(principal_context(people["partner_reader"]), obj, purpose="investigation")
    assert refused.rule == Rule.RECIPIENT_TERMS
    assert "investigation" in refused.reason
    assert decide(principal_context(people["partner_reader"]), obj, purpose="prevention").allowed
    assert (
        not visible(principal_context(people["partner_reader"]), StixObject.objects.all(), purpose="investigation")
        .filter(pk=obj.pk)
        .exists()
    )


@pytest.mark.parametrize(("attribution", "named"), [("may", True), ("must", True), ("must-not", False)])
def test_the_source_is_named_only_where_its_agreement_allows(people, partner, originator, attribution, named):
    terms = originator.agreements.get().current_version
    terms.provider_attribution = attribution
    terms.save()
    make_agreement(partner)
    obj = StixObject.objects.select_related("agreement__current_version").get(pk=share(originator).pk)
    reader, analyst = principal_context(people["partner_reader"]), principal_context(people["analyst"])
    assert decide(reader, obj).may_name_source is named
    assert StixObject.objects.filter(nameable_sources(reader), pk=obj.pk).exists() is named
    assert decide(analyst, obj).may_name_source is True
    assert StixObject.objects.filter(nameable_sources(analyst), pk=obj.pk).exists()
