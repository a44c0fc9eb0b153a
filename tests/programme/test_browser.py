"""In a real browser: plan a session, enrol officers, record attendance, download a certificate
and check it on the public page."""

from __future__ import annotations

from pathlib import Path

from accord.programme.models import Certificate, Enrolment, Officer, TrainingSession
from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD
from tests.programme.conftest import days, make_officer

pytestmark = browser_marks


def test_plan_enrol_attend_and_certify_in_the_ui(page, live_server, people, course, unit, tmp_path):
    officers = [make_officer(unit, n) for n in range(2)]
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "programme_manager")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")

    page.click("nav >> text=Secondment & training")
    page.click("text=Plan a session")
    page.select_option("#id_course", str(course.pk))
    page.fill("#id_start", days(14).isoformat())
    page.fill("#id_end", days(18).isoformat())
    page.fill("#id_capacity", "2")
    page.fill("#id_city", "Nairobi")
    page.select_option("#id_country", "KE")
    page.click("button:has-text('Plan session')")
    page.wait_for_selector("h1:has-text('CRY-201 Cryptocurrency investigations')")
    assert "Nairobi, Kenya" in page.inner_text("main")

    for officer in officers:
        page.select_option("#id_officer", str(officer.pk))
        page.click("button:has-text('Nominate')")
        page.wait_for_selector(f"[data-testid=enrolment-{officer.pk}]")
    assert page.inner_text("[data-testid=seats]").startswith("2 of 2 seats taken")
    for officer in officers:
        page.click(f"[data-testid=enrolment-{officer.pk}] >> button:has-text('Confirm')")
        page.wait_for_selector(f"[data-testid=enrolment-{officer.pk}] >> text=Confirmed")

    TrainingSession.objects.update(start=days(-5), end=days(-1))  # the week of training has passed
    page.reload()
    page.check(f"input[aria-label='{officers[0].full_name} attended']")
    page.fill(f"input[aria-label='{officers[0].full_name} score']", "86")
    page.click("button:has-text('Save attendance')")
    page.wait_for_selector(f"[data-testid=enrolment-{officers[1].pk}] >> text=No show")
    assert "Attended" in page.inner_text(f"[data-testid=enrolment-{officers[0].pk}]")

    page.click(f"[data-testid=enrolment-{officers[0].pk}] >> button:has-text('Complete and certify')")
    link = page.wait_for_selector(f"[data-testid=enrolment-{officers[0].pk}] >> a:has-text('Download')")
    with page.expect_download() as info:
        link.click()
    saved = Path(tmp_path / "certificate.pdf")
    info.value.save_as(saved)
    certificate = Certificate.objects.get()
    assert info.value.suggested_filename == f"certificate-{certificate.code}.pdf"
    assert saved.read_bytes().startswith(b"%PDF-")

    page.goto(f"{live_server.url}/certificates/verify/{certificate.code}/")
    assert page.inner_text("[data-testid=verdict]") == "Valid"
    assert "CRY-201 Cryptocurrency investigations" in page.inner_text("main")
    assert officers[0].full_name not in page.inner_text("main")


def test_an_anonymous_visitor_verifies_a_certificate_by_code_and_holder_name(page, live_server, db, course, unit):
    session = TrainingSession.objects.create(
        course=course, start=days(-3), end=days(-1), city="Nairobi", country="KE", region="africa", capacity=5,
        language="en",
    )  # fmt: skip
    officer = Officer.objects.create(
        organisation=unit, full_name="Grace Achieng", email="grace@police.example", country="KE", region="africa"
    )
    enrolment = Enrolment.objects.create(session=session, officer=officer, status="completed")
    Certificate.objects.create(enrolment=enrolment, code="7KQM-2XPA-9RTD-4HVB", issued_on=days(0))

    page.goto(f"{live_server.url}/certificates/verify/")
    page.get_by_label("Certificate code").fill("7kqm 2xpa 9rtd 4hvb")
    page.get_by_label("Holder's name (optional)").fill("grace achieng")
    page.click("button:has-text('Check')")
    page.wait_for_selector("[data-testid=verdict]")
    assert page.inner_text("[data-testid=verdict]") == "Valid"
    assert page.inner_text("[data-testid=holder]") == "The name you typed matches the holder."
    assert "Grace Achieng" not in page.inner_text("main")

    page.get_by_label("Holder's name (optional)").fill("Grace Forger")
    page.click("button:has-text('Check')")
    page.wait_for_selector("text=does not match the holder")
