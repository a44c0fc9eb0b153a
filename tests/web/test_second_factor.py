"""The second sign-in factor through the pages, the admin site and the API: enrolment, the code
step after the password, recovery codes, throttling and the account lock, the requirement for
administrators, turning it off and an administrator's reset."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core.models import AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory
from tests.totp import confirmed_device, current_code, recovery_codes, wrong_code

VERIFY = "/login/verify/"
ENROL = "/account/second-factor/"


@pytest.fixture(autouse=True)
def _no_back_off(settings):
    """A right code may follow a wrong one at once: django-otp's back-off (a second after the
    first failure, doubling) is a matter of the clock, and has its own test below."""
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0


def sign_in(client, username: str):
    """The password step; the answer to it."""
    return client.post("/login/", {"username": username, "password": TEST_PASSWORD})


def enrol(client, user) -> list[str]:
    """Set up an authenticator through the page; the recovery codes it shows."""
    page = client.get(ENROL)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(ENROL, {"code": current_code(device)})
    assert done.status_code == 200
    return recovery_codes(done.content.decode())


def actions(user) -> list[str]:
    return list(AuditEvent.objects.filter(actor=user).order_by("seq").values_list("action", flat=True))


# -- enrolment ------------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_secret_and_needs_a_current_code(client, people):
    analyst = people["analyst"]
    client.force_login(analyst)
    page = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=analyst)
    assert not device.confirmed
    # The QR code is an SVG image inline as data (no script, no style attribute, no imaging library).
    qr = page.split('data-testid="totp-qr"')[0].rsplit('src="', 1)[1].split('"', 1)[0]
    assert qr.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(qr.split(",", 1)[1]).lstrip().startswith(b"<?xml")
    assert "style=" not in page and "<script>" not in page
    secret = base64.b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    assert client.get(ENROL).content.decode().count(secret[:4]) >= 1  # a reload keeps the same secret
    assert TOTPDevice.objects.filter(user=analyst).count() == 1

    refused = client.post(ENROL, {"code": wrong_code(device)})
    assert refused.status_code == 400 and "not the code your authenticator shows now" in refused.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert AuditEvent.objects.get(action="auth.code_failed").details["step"] == "enrol"

    done = client.post(ENROL, {"code": current_code(device)})
    codes = recovery_codes(done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert "second_factor.enrol" in actions(analyst)
    # Recovery codes are stored as hashes only, and shown once.
    stored = set(StaticToken.objects.filter(device__user=analyst).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in codes} and not stored & set(codes)
    again = client.get(ENROL).content.decode()
    assert codes[0] not in again and 'data-testid="recovery-codes"' not in again
    assert "Recovery codes left: 10" in again


def test_an_unconfirmed_authenticator_counts_for_nothing(client, people):
    client.force_login(people["analyst"])
    client.get(ENROL)  # started, never confirmed
    client.logout()
    sign_in(client, "analyst")
    assert client.get("/").status_code == 200


# -- the code step --------------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in_someone_with_an_authenticator(client, people):
    analyst = people["analyst"]
    device = confirmed_device(analyst)
    answer = sign_in(client, "analyst")
    assert answer.status_code == 302
    step = client.get("/organisations/")
    assert step.status_code == 302 and step["Location"] == f"{VERIFY}?next=%2Forganisations%2F"
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "second_factor_required"
    assert client.get("/taxii2/").status_code == 403

    wrong = client.post(VERIFY, {"code": wrong_code(device), "next": "/organisations/"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert client.get("/organisations/").status_code == 302
    failed = AuditEvent.objects.get(action="auth.code_failed")
    assert failed.details == {"step": "sign_in", "reason": "wrong", "ip": "127.0.0.1"}

    right = client.post(VERIFY, {"code": current_code(device), "next": "/organisations/"})
    assert right.status_code == 302 and right["Location"] == "/organisations/"
    assert actions(analyst) == ["auth.login", "auth.code_failed", "auth.code_verified"]
    assert client.get("/organisations/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_a_code_works_once(client, people):
    device = confirmed_device(people["analyst"])
    sign_in(client, "analyst")
    code = current_code(device)
    assert client.post(VERIFY, {"code": code})["Location"] == "/"
    client.logout()
    sign_in(client, "analyst")
    assert client.post(VERIFY, {"code": code}).status_code == 400
    assert client.get("/").status_code == 302


def test_the_code_step_leads_nowhere_outside_our_site(client, people):
    device = confirmed_device(people["analyst"])
    sign_in(client, "analyst")
    answer = client.post(VERIFY, {"code": current_code(device), "next": "https://evil.example/"})
    assert answer["Location"] == "/"


def test_a_recovery_code_signs_in_once(client, people):
    analyst = people["analyst"]
    client.force_login(analyst)
    codes = enrol(client, analyst)
    client.logout()

    sign_in(client, "analyst")
    typed = codes[0].upper().replace("-", " ")  # as someone might type it off paper
    answer = client.post(VERIFY, {"code": typed}, follow=True)
    assert answer.redirect_chain[0][0] == "/" and "9 left" in answer.content.decode()
    used = AuditEvent.objects.get(action="auth.recovery_code_used")
    assert used.actor == analyst and used.details["left"] == 9
    client.logout()

    sign_in(client, "analyst")
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 400
    assert client.get("/").status_code == 302
    assert client.post(VERIFY, {"code": codes[1]}).status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_codes_are_throttled(client, people, settings):
    """django-otp's back-off: after a wrong code the device refuses even the right one for a
    while (here an hour per failure, so the test does not depend on the clock)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 3600
    device = confirmed_device(people["analyst"])
    sign_in(client, "analyst")
    client.post(VERIFY, {"code": wrong_code(device)})
    refused = client.post(VERIFY, {"code": current_code(device)})
    assert refused.status_code == 400 and "Too many wrong codes" in refused.content.decode()
    assert client.get("/").status_code == 302
    reasons = [e.details["reason"] for e in AuditEvent.objects.filter(action="auth.code_failed").order_by("seq")]
    assert reasons == ["wrong", "throttled"]


def test_wrong_codes_lock_the_account_and_a_known_password_does_not_wipe_them(client, people, settings):
    """Failed codes count with failed passwords against ACCORD_LOGIN_FAILURES_PER_ACCOUNT; the
    right password does not forget them (only a right code does); the lock ends the half-made
    session, is audited, and refuses the right password and the right code alike."""
    settings.ACCORD_LOGIN_FAILURES_PER_ACCOUNT = "3/hour"
    device = confirmed_device(people["analyst"])
    sign_in(client, "analyst")
    client.post(VERIFY, {"code": wrong_code(device)})
    client.post(VERIFY, {"code": wrong_code(device)})
    client.logout()
    assert sign_in(client, "analyst").status_code == 302  # the password is right ...
    locked = client.post(VERIFY, {"code": wrong_code(device)}, follow=True)  # ... the third wrong code locks
    assert "sign-in is locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.locked", details__username="analyst").count() == 1

    refused = sign_in(client, "analyst")
    assert refused.status_code == 200 and "sign-in is locked" in refused.content.decode()


def test_a_right_code_forgets_the_failures(client, people, settings):
    settings.ACCORD_LOGIN_FAILURES_PER_ACCOUNT = "3/hour"
    device = confirmed_device(people["analyst"])
    sign_in(client, "analyst")
    client.post(VERIFY, {"code": wrong_code(device)})
    client.post(VERIFY, {"code": wrong_code(device)})
    assert client.post(VERIFY, {"code": current_code(device)}).status_code == 302
    client.logout()
    sign_in(client, "analyst")
    client.post(VERIFY, {"code": wrong_code(device)})
    client.post(VERIFY, {"code": wrong_code(device)})
    assert "_auth_user_id" in client.session  # two failures since the right code: not locked


# -- required for administrators ------------------------------------------------------------------


def test_administrators_must_have_a_second_factor_by_default(totp_required):
    assert totp_required == ["admin"]


def test_an_administrator_without_one_reaches_nothing_but_enrolment(client, people, totp_required):
    admin = people["admin"]
    assert sign_in(client, "admin").status_code == 302
    for path in ("/", "/people/", "/audit/", "/admin/", "/admin/core/organisation/", VERIFY):
        answer = client.get(path)
        assert answer.status_code == 302 and answer["Location"].startswith(ENROL), path
    assert client.post("/tokens/", {"name": "x", "scopes": ["read"], "days": 1})["Location"] == ENROL
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and "enrol an authenticator" in api.json()["error"]["message"]
    enrolment = client.get(ENROL).content.decode()
    assert "Your role must sign in with a second factor" in enrolment
    assert 'href="/people/"' not in enrolment  # the menu offers nothing out of reach

    enrol(client, admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/audit/").status_code == 200
    assert client.get("/api/v1/me/").json()["person"]["second_factor"] is True


def test_force_login_is_held_to_the_requirement_too(client, people, totp_required):
    client.force_login(people["admin"])
    assert client.get("/admin/").status_code == 302
    client.force_login(people["analyst"])  # not a required role
    assert client.get("/people/").status_code == 200


def test_an_administrator_with_one_is_asked_for_the_code(client, people, totp_required):
    device = confirmed_device(people["admin"])
    sign_in(client, "admin")
    assert client.get("/admin/")["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    assert client.post(VERIFY, {"code": current_code(device), "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_bearer_tokens_are_not_held_to_the_second_factor(client, people, api_for, totp_required):
    """An API token is a machine credential, issued by someone signed in in full: it works with no
    second factor, even sent with a half-made session's cookie."""
    api = api_for("admin", scopes=("read", "taxii"))
    me = api.get("/api/v1/me/").json()["person"]
    assert me["second_factor"] is False and me["second_factor_required"] is True
    sign_in(client, "admin")
    api.cookies = client.cookies
    assert api.get("/api/v1/me/").status_code == 200
    assert api.get("/taxii2/", HTTP_ACCEPT="application/taxii+json;version=2.1").status_code == 200


def test_only_listed_roles_are_required(client, people, settings):
    settings.ACCORD_TOTP_REQUIRED_ROLES = ["analyst"]
    sign_in(client, "analyst")
    assert client.get("/")["Location"].startswith(ENROL)
    client.logout()
    sign_in(client, "admin")
    assert client.get("/").status_code == 200


# -- turning it off, and an administrator's reset -------------------------------------------------


def test_turning_it_off_needs_a_code(client, people):
    analyst = people["analyst"]
    client.force_login(analyst)
    codes = enrol(client, analyst)
    device = TOTPDevice.objects.get(user=analyst)
    refused = client.post(ENROL, {"code": wrong_code(device)})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=analyst).exists()
    assert client.post(ENROL, {"code": codes[3]})["Location"] == ENROL  # a recovery code proves it too
    assert not TOTPDevice.objects.filter(user=analyst).exists()
    assert not StaticToken.objects.filter(device__user=analyst).exists()
    assert "second_factor.disable" in actions(analyst)
    client.logout()
    sign_in(client, "analyst")
    assert client.get("/").status_code == 200  # the password alone again


def test_an_administrator_turning_it_off_must_enrol_again(client, people, totp_required):
    admin = people["admin"]
    sign_in(client, "admin")
    enrol(client, admin)
    device = TOTPDevice.objects.get(user=admin)
    assert client.post(ENROL, {"code": current_code(device)}).status_code == 302
    assert client.get("/admin/")["Location"].startswith(ENROL)


def test_an_administrator_resets_someone_elses_with_a_reason(client, people):
    analyst, admin = people["analyst"], people["admin"]
    device = confirmed_device(analyst)
    path = f"/people/{analyst.pk}/second-factor/"
    client.force_login(admin)
    assert "on</a>" in client.get("/people/").content.decode()
    assert "Authenticator <strong>on</strong>" in client.get(path).content.decode()
    assert client.post(path, {"reason": ""}).status_code == 400
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert client.post(path, {"reason": "Phone lost; confirmed by a call to her desk."}).status_code == 302
    assert not TOTPDevice.objects.filter(user=analyst).exists()
    reset = AuditEvent.objects.get(action="second_factor.reset")
    assert reset.actor == admin and reset.object_id == str(analyst.pk)
    assert reset.justification == "Phone lost; confirmed by a call to her desk."

    client.logout()
    sign_in(client, "analyst")
    assert client.get("/").status_code == 200  # in with the password alone


def test_a_reset_ends_the_verified_session_of_a_required_role(client, people, totp_required):
    """The admin's session was verified by the authenticator that a colleague then removed: it
    no longer counts, and they must enrol again."""
    admin = people["admin"]
    sign_in(client, "admin")
    enrol(client, admin)
    assert client.get("/admin/").status_code == 200
    colleague = UserFactory(username="admin2", role="admin", organisation=admin.organisation)
    colleague_client = Client()
    colleague_client.force_login(colleague)
    assert sign_in(colleague_client, "admin2").status_code == 302
    enrol(colleague_client, colleague)
    reset = colleague_client.post(f"/people/{admin.pk}/second-factor/", {"reason": "lost phone"})
    assert reset.status_code == 302
    assert client.get("/admin/")["Location"].startswith(ENROL)


@pytest.mark.parametrize("who", ["programme_manager", "analyst", "partner_reader"])
def test_only_platform_administrators_reset(client, people, who):
    confirmed_device(people["auditor"])
    client.force_login(people[who])
    assert client.get(f"/people/{people['auditor'].pk}/second-factor/").status_code == 403
    assert client.post(f"/people/{people['auditor'].pk}/second-factor/", {"reason": "x"}).status_code == 403
    assert TOTPDevice.objects.filter(user=people["auditor"]).exists()
    assert "Second factor</th>" not in client.get("/people/").content.decode()


def test_nobody_resets_their_own(client, people):
    client.force_login(people["admin"])
    answer = client.post(f"/people/{people['admin'].pk}/second-factor/", {"reason": "mine"})
    assert answer.status_code == 400 and "turn your own off with a code" in answer.content.decode()


def test_the_admin_site_shows_authenticators_without_their_secrets(client, people):
    device = confirmed_device(people["analyst"])
    client.force_login(people["admin"])
    listing = client.get("/admin/otp_totp/totpdevice/")
    assert listing.status_code == 200 and str(people["analyst"]) in listing.content.decode()
    detail = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in detail and "otpauth" not in detail
    assert client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_api_says_whether_the_second_factor_is_on(api_for, people):
    confirmed_device(people["analyst"])
    me = api_for("analyst").get("/api/v1/me/").json()["person"]
    assert me["second_factor"] is True and me["second_factor_required"] is False
    assert api_for("auditor").get("/api/v1/me/").json()["person"]["second_factor"] is False


def test_pages_of_the_second_factor_need_sign_in(client, db):
    for path in (ENROL, VERIFY, "/people/1/second-factor/"):
        assert client.get(path)["Location"].startswith("/login/")


def test_the_admin_sites_own_sign_in_asks_for_the_code_too(client, people):
    device = confirmed_device(people["admin"])
    client.post("/admin/login/?next=/admin/", {"username": "admin", "password": TEST_PASSWORD})
    assert client.get("/admin/")["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    client.post(VERIFY, {"code": current_code(device)})
    assert client.get("/admin/").status_code == 200


def _secret_shown(client) -> str:
    page = client.get("/account/second-factor/")
    assert "no-store" in page["Cache-Control"]  # the secret stays out of every cache
    return TOTPDevice.objects.get(confirmed=False).key


def test_a_secret_seen_in_another_sign_in_is_not_the_one_enrolled(people):
    """Reloading the enrolment page keeps its secret; another sign-in (someone else who had the
    password) is shown a new one, so the secret it saw never becomes the person's."""
    mine, theirs = Client(), Client()
    sign_in(mine, "analyst")
    sign_in(theirs, "analyst")
    first = _secret_shown(mine)
    assert _secret_shown(mine) == first
    seen_by_them = _secret_shown(theirs)
    assert seen_by_them != first
    assert _secret_shown(mine) not in (first, seen_by_them)
