"""The public certificate check: a form at /certificates/verify/, codes however typed, the
holder's name confirmed or not (never shown), a rate per address, and the PDF's QR code."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest
from django.utils import timezone

from accord.programme.certificates import certificate_pdf, qr_matrix, verification_url
from accord.programme.models import Certificate, Enrolment, Officer, TrainingSession
from tests.programme.conftest import days

CHECK = "/certificates/verify/"


@pytest.fixture
def certificate(db: Any, course: Any, unit: Any) -> Certificate:
    session = TrainingSession.objects.create(
        course=course, start=days(-3), end=days(-1), city="Nairobi", country="KE", region="africa", capacity=5,
        language="en",
    )  # fmt: skip
    officer = Officer.objects.create(
        organisation=unit, full_name="José Wanjiru-Otieno", email="jose@police.example", country="KE", region="africa"
    )
    enrolment = Enrolment.objects.create(session=session, officer=officer, status="completed")
    return Certificate.objects.create(enrolment=enrolment, code="7KQM-2XPA-9RTD-4HVB", issued_on=days(0))


def check(client: Any, code: str, holder: str = "", **extra: Any) -> tuple[int, str]:
    response = client.post(CHECK, {"code": code, "holder": holder}, **extra)
    return response.status_code, response.content.decode()


def test_the_form_is_public_and_labelled(client, db):
    page = client.get(CHECK).content.decode()
    assert '<label for="id_code">Certificate code</label>' in page
    assert '<label for="id_holder">Holder&#x27;s name (optional)</label>' in page


@pytest.mark.parametrize(
    "typed", ["7KQM-2XPA-9RTD-4HVB", "7kqm2xpa9rtd4hvb", " 7kqm 2xpa 9rtd 4hvb ", "7KQM2XPA9RTD4HVB"]
)
def test_a_code_with_or_without_dashes_in_any_case_is_found(client, certificate, typed):
    status, page = check(client, typed)
    assert status == 200 and 'data-testid="verdict">Valid<' in page
    assert "CRY-201 Cryptocurrency investigations" in page and "7KQM-2XPA-9RTD-4HVB" in page


def test_the_letter_o_for_a_zero_is_read_as_the_zero(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(code="70QM-2XPA-9RTD-4HVB")
    assert 'data-testid="verdict">Valid<' in check(client, "7OQM-2XPA-9RTD-4HVB")[1]


def test_the_holder_name_matches_or_not_and_is_never_shown(client, certificate):
    status, page = check(client, "7kqm2xpa9rtd4hvb", "jose  wanjiru otieno")  # case, accents, spacing aside
    assert status == 200 and "The name you typed matches the holder." in page
    assert "Wanjiru-Otieno" not in page and "José" not in page
    status, page = check(client, "7kqm2xpa9rtd4hvb", "Maria Wanjiru")
    assert "The name you typed does not match the holder." in page
    assert "Wanjiru-Otieno" not in page and "José" not in page
    assert 'data-testid="holder"' not in check(client, "7kqm2xpa9rtd4hvb")[1]  # no name, no verdict on it


def test_a_forged_name_on_a_withdrawn_code_is_still_told_apart(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=timezone.now())
    page = check(client, "7KQM-2XPA-9RTD-4HVB", "Someone Else")[1]
    assert 'data-testid="verdict">Not valid<' in page and "does not match" in page


def test_unknown_and_malformed_codes(client, certificate):
    status, page = check(client, "AAAA-BBBB-CCCC-DDDD")
    assert status == 404 and "Unknown code" in page
    status, page = check(client, "7KQM-2XPA")
    assert status == 400 and "16 letters and digits" in page and 'value="7KQM-2XPA"' in page


def test_the_address_in_the_qr_code_still_answers(client, certificate):
    page = client.get(f"{CHECK}7kqm2xpa9rtd4hvb/").content.decode()
    assert 'data-testid="verdict">Valid<' in page


def test_checks_are_rate_limited_per_address(client, certificate, settings):
    settings.ACCORD_CERTIFICATE_CHECK_RATE = "3/hour"
    address = {"REMOTE_ADDR": "192.0.2.77"}
    for _ in range(3):
        assert check(client, "7KQM-2XPA-9RTD-4HVB", "Guess", **address)[0] == 200
    status, page = check(client, "7KQM-2XPA-9RTD-4HVB", "José Wanjiru-Otieno", **address)
    assert status == 429 and "Too many checks" in page and 'data-testid="holder"' not in page
    assert check(client, "7KQM-2XPA-9RTD-4HVB", **{"REMOTE_ADDR": "192.0.2.78"})[0] == 200


def _drawn_modules(pdf: bytes) -> set[tuple[int, int]]:
    """The QR code's dark modules as the PDF draws them (filled rectangles, rows of runs)."""
    rects: list[tuple[float, float, float, float]] = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text = zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            continue
        number = r"(-?\d+(?:\.\d+)?)"
        found = re.findall(rf"{number} {number} {number} {number} re f", text)
        rects += [tuple(float(v) for v in r) for r in found]
    quiet = max(rects, key=lambda r: r[2])  # the white square under the code
    modules = [r for r in rects if r is not quiet and r[2] < quiet[2] / 2]
    cell = min(abs(r[3]) for r in modules)
    left, top = min(r[0] for r in modules), max(r[1] for r in modules)
    dark = set()
    for x, y, width, _ in modules:
        row, col = round((top - y) / cell), round((x - left) / cell)
        dark |= {(row, col + i) for i in range(round(width / cell))}
    return dark


def test_the_pdf_carries_a_qr_code_of_its_verification_address(certificate, settings):
    settings.ACCORD_BASE_URL = "https://accord.example.org"
    url = verification_url(certificate)
    assert url == "https://accord.example.org/certificates/verify/7KQM-2XPA-9RTD-4HVB/"
    expected = {(r, c) for r, row in enumerate(qr_matrix(url)) for c, dark in enumerate(row) if dark}
    assert _drawn_modules(certificate_pdf(certificate)) == expected
