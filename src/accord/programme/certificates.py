"""The certificate of completion as a one-page PDF (fpdf2), with its verification address."""

from __future__ import annotations

import qrcode
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from fpdf import FPDF

from accord.programme.models import Certificate

__all__ = ["QR_SIZE_MM", "certificate_pdf", "certificate_response", "qr_matrix", "verification_url"]

QR_SIZE_MM = 32


def verification_url(certificate: Certificate) -> str:
    """Where anyone can check the certificate (validity, course and date only)."""
    return settings.ACCORD_BASE_URL + reverse("programme:certificate-verify", kwargs={"code": certificate.code})


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of ``text``'s QR code (medium error correction, no quiet zone)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """A QR code drawn as filled runs of modules (vector: sharp at any print size, no image library)."""
    matrix = qr_matrix(text)
    cell = size / len(matrix)
    pdf.set_fill_color(255)
    pdf.rect(x - 2 * cell, y - 2 * cell, size + 4 * cell, size + 4 * cell, style="F")  # quiet zone
    pdf.set_fill_color(0)
    for row, line in enumerate(matrix):
        col = 0
        while col < len(line):
            if not line[col]:
                col += 1
                continue
            start = col
            while col < len(line) and line[col]:
                col += 1
            pdf.rect(x + start * cell, y + row * cell, (col - start) * cell, cell, style="F")


def _latin1(text: str) -> str:
    # The PDF core fonts cover Latin-1; anything else is shown as "?" rather than failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(certificate: Certificate) -> bytes:
    """A printable certificate: holder, course, dates, place, code and verification address."""
    enrolment = certificate.enrolment
    session = enrolment.session
    course = session.course
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"Certificate {certificate.code}")
    pdf.set_author("Accord")
    pdf.add_page()
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_font("Helvetica", "B", 28)
    pdf.ln(22)
    pdf.cell(0, 14, "Certificate of completion", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 14)
    pdf.ln(6)
    pdf.cell(0, 9, "This certifies that", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 22)
    pdf.cell(0, 14, _latin1(enrolment.officer.full_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 14)
    pdf.cell(0, 9, _latin1(enrolment.officer.organisation.name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(0, 9, "has completed the course", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, _latin1(f"{course.code} {course.title}"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 13)
    when = f"{session.start:%d %B %Y} - {session.end:%d %B %Y}, {session.place}"
    pdf.cell(0, 9, _latin1(when), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, f"Certificate {certificate.code}, issued {certificate.issued_on:%d %B %Y}", align="C")
    pdf.ln(7)
    pdf.cell(0, 7, _latin1(f"Verify at {verification_url(certificate)}"), align="C")
    # The same address as a QR code, bottom right inside the frame: a phone opens the check.
    _draw_qr(pdf, verification_url(certificate), 287 - 8 - QR_SIZE_MM, 200 - 8 - QR_SIZE_MM, QR_SIZE_MM)
    return bytes(pdf.output())


def certificate_response(certificate: Certificate) -> HttpResponse:
    """The certificate's PDF as a download (the API and the UI serve the same file)."""
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    return response
