"""The certification card: a wallet-size PDF (85.6 x 54 mm) with a QR code that opens its public verification."""

import io

from django.conf import settings
from django.urls import reverse
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from learning.register.models import Certification

CARD_SIZE = (85.6 * mm, 54 * mm)
BRAND = colors.HexColor("#b91c1c")


def verification_url(certification: Certification) -> str:
    return settings.PORTAL_BASE_URL + reverse("verify_certification", kwargs={"number": certification.number})


def qr_drawing(data: str, size: float) -> Drawing:
    widget = QrCodeWidget(data, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    return drawing


def certification_card_pdf(certification: Certification) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=CARD_SIZE)
    pdf.setTitle(f"{certification.course.code} certification {certification.number}")
    pdf.setAuthor(settings.PORTAL_NAME)
    draw_banner(pdf, certification)
    draw_holder(pdf, certification)
    draw_details(pdf, certification)
    draw_verification_code(pdf, certification)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def draw_banner(pdf: canvas.Canvas, certification: Certification) -> None:
    """The coloured band across the top: the provider's name, and the course code on the right."""
    width, height = CARD_SIZE
    pdf.setFillColor(BRAND)
    pdf.rect(0, height - 11 * mm, width, 11 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(4 * mm, height - 7 * mm, settings.PORTAL_NAME)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawRightString(width - 4 * mm, height - 7.3 * mm, certification.course.code)


def draw_holder(pdf: canvas.Canvas, certification: Certification) -> None:
    """Who completed which course, under the band."""
    _, height = CARD_SIZE
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 6.5)
    pdf.drawString(4 * mm, height - 16 * mm, "This certifies that")
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(
        4 * mm, height - 21 * mm, certification.participant.get_full_name() or certification.participant.email
    )
    pdf.setFont("Helvetica", 6.5)
    pdf.drawString(4 * mm, height - 25.5 * mm, "has completed")
    pdf.setFont("Helvetica-Bold", 7.5)
    pdf.drawString(4 * mm, height - 29.5 * mm, certification.course.title[:48])


def draw_details(pdf: canvas.Canvas, certification: Certification) -> None:
    """The number and the dates of issue and expiry, as labelled lines at the bottom left."""
    rows = [
        ("Number", certification.number),
        ("Issued", certification.issued_on.strftime("%d %b %Y")),
        ("Valid until", certification.expires_on.strftime("%d %b %Y")),
    ]
    y = 15 * mm
    for label, value in rows:
        pdf.setFont("Helvetica", 6)
        pdf.setFillColor(colors.HexColor("#555555"))
        pdf.drawString(4 * mm, y, label)
        pdf.setFont("Helvetica-Bold", 7)
        pdf.setFillColor(colors.black)
        pdf.drawString(18 * mm, y, value)
        y -= 4 * mm


def draw_verification_code(pdf: canvas.Canvas, certification: Certification) -> None:
    """The QR code of the public verification page, bottom right, with its address printed under it for anyone
    who cannot scan."""
    width, _ = CARD_SIZE
    qr_size = 20 * mm
    renderPDF.draw(qr_drawing(verification_url(certification), qr_size), pdf, width - qr_size - 3 * mm, 6 * mm)
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 4.5)
    pdf.drawRightString(width - 4 * mm, 27 * mm, "Scan to verify")
    pdf.setFont("Helvetica", 4.2)
    pdf.drawRightString(width - 4 * mm, 3 * mm, verification_url(certification).split("://", 1)[-1])
