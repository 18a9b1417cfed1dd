"""The invoice of a group booking: an A4 PDF on the provider's paper (made as the sign-in sheet is), addressed to
the organisation at its invoice address and quoting its purchase-order number, with the course date, the
participants and the fee as the course page gives it ("Contact us for the fee" when it gives none).

The fee is the course page's text, so the total is worked out only when that text names one amount ("£450 per
participant"); otherwise the invoice says the training office confirms it. Only confirmed places are invoiced: a
place on the waiting list counts once it becomes a seat, and the invoice is made afresh each time it is opened.
Cancelled places are listed, with their dates, and not invoiced. Once paid, the invoice keeps what the payment
covered, at the fee it was paid at: places cancelled or confirmed since then are the difference to refund or
credit, or still due."""

import re
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils import timezone
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from learning.bookings.models import Booking
from learning.bookings.sign_in_sheet import (
    CELL,
    GRID,
    HEADING,
    STYLES,
    branded_pdf,
    cell,
    course_title,
    date_facts,
    label_table,
    participant_name,
)
from learning.catalogue.hugo import NO_FEE_GIVEN
from learning.common.models import portal_settings
from learning.common.words import plural
from learning.organisations.models import GroupBooking
from learning.organisations.selectors import InvoiceRecipient, group_booking_places, invoice_recipient

SECTION = ParagraphStyle("section", parent=STYLES["Heading2"], fontSize=12, spaceBefore=5 * mm, spaceAfter=2 * mm)
# Number, participant, registration number, place: 180 mm, the width inside the margins.
PLACE_COLUMNS = [10 * mm, 75 * mm, 50 * mm, 45 * mm]
# An amount of money in a fee's text: a currency sign, then digits with optional thousands commas and pence.
AMOUNT = re.compile(r"([£€$])\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{2})?")
# A fee that says VAT comes on top ("£450 + VAT", "plus VAT", "excl. VAT"): so does its total.
VAT_ON_TOP = re.compile(r"(\+|\bplus|\bexcl(?:uding|\.)?|\bexc\.?|\bex\.?|\bexclusive of)\s*VAT\b", re.IGNORECASE)


def invoice_response(group_booking: GroupBooking) -> HttpResponse:
    """The invoice as a PDF download, for the manager who may see the group booking or an administrator (the
    callers decide who may)."""
    recipient = invoice_recipient(group_booking.organisation)
    pdf = invoice_pdf(group_booking, group_booking_places(group_booking), recipient=recipient)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{group_booking.invoice_number}.pdf"'
    return response


def invoice_pdf(group_booking: GroupBooking, places: list[Booking], *, recipient: InvoiceRecipient) -> bytes:
    """The invoice of `group_booking`, whose bookings are `places`, to `recipient`."""
    number = group_booking.invoice_number
    confirmed = [booking for booking in places if booking.status == Booking.CONFIRMED]
    waiting = [booking for booking in places if booking.status == Booking.WAITLISTED]
    cancelled = [booking for booking in places if booking.status == Booking.CANCELLED]
    counts = PlaceCounts(len(confirmed), len(waiting), len(cancelled), group_booking.paid_places)
    course_date = group_booking.course_date
    story = [
        Paragraph(f"Invoice {number}", HEADING),
        label_table(invoice_facts(group_booking)),
        Paragraph("Bill to", SECTION),
        Paragraph("<br/>".join(escape(line) for line in bill_to(recipient)), CELL),
        Paragraph("Course", SECTION),
        label_table([("Course", course_title(course_date.course)), *date_facts(course_date)]),
        Paragraph("Participants", SECTION),
        places_table(confirmed + waiting + cancelled),
        Paragraph("Fee", SECTION),
        label_table(fee_lines(invoiced_fee(group_booking), counts)),
        Spacer(0, 4 * mm),
        Paragraph(escape(payable_to()), CELL),
    ]
    return branded_pdf(
        story,
        kind="Invoice",
        title=f"Invoice {number}",
        footer=f"Invoice {number}, purchase order {group_booking.purchase_order}",
    )


def invoiced_fee(group_booking: GroupBooking) -> str:
    """The fee the invoice charges: once paid, the one it was paid at; until then, the course page's."""
    return group_booking.paid_fee_text if group_booking.paid else group_booking.course_date.course.fee_text


def invoice_facts(group_booking: GroupBooking) -> list[tuple[str, str]]:
    manager = group_booking.manager
    paid_at = group_booking.paid_at
    return [
        ("Date", f"{timezone.localtime(group_booking.created_at):%-d %B %Y}"),
        ("Purchase order", group_booking.purchase_order),
        ("Booked by", f"{manager.get_full_name() or manager.email} ({manager.email})"),
        ("Status", f"Paid on {timezone.localtime(paid_at):%-d %B %Y}" if paid_at else "Awaiting payment"),
    ]


def bill_to(recipient: InvoiceRecipient) -> list[str]:
    lines = [recipient.name, *(line.strip() for line in recipient.address.splitlines() if line.strip())]
    if not recipient.address.strip():
        lines.append("(no invoice address on record: the training office will ask for one)")
    return [*lines, f"For the attention of {recipient.contact}"] if recipient.contact else lines


def places_table(places: list[Booking]) -> Table:
    header = [cell(text) for text in ("No.", "Participant", "Registration number", "Place")]
    rows = [
        [
            cell(number),
            cell(participant_name(booking)),
            cell(booking.participant.registration_number),
            cell(place_label(booking)),
        ]
        for number, booking in enumerate(places, start=1)
    ]
    table = Table([header, *rows], colWidths=PLACE_COLUMNS, repeatRows=1)
    table.setStyle(TableStyle(GRID))
    return table


def place_label(booking: Booking) -> str:
    if booking.status == Booking.CANCELLED:
        return f"Cancelled {timezone.localtime(booking.cancelled_at):%-d %B %Y}, not invoiced"
    return booking.get_status_display()


@dataclass(frozen=True)
class PlaceCounts:
    """The group booking's places by status, and how many confirmed ones its payment covered (None: not paid)."""

    confirmed: int
    waiting: int = 0
    cancelled: int = 0
    paid_for: int | None = None


@dataclass(frozen=True)
class Fee:
    """A fee's text read as one amount per place: its currency sign, the amount, and whether VAT comes on top."""

    sign: str
    amount: Decimal
    plus_vat: bool

    @classmethod
    def read(cls, fee_text: str):
        """The fee, or None when the text names no amount or more than one."""
        amounts = AMOUNT.findall(fee_text)
        if len(amounts) != 1:
            return None
        sign, whole, pence = amounts[0]
        return cls(sign, Decimal(whole.replace(",", "") + (pence or "")), bool(VAT_ON_TOP.search(fee_text)))

    def times(self, places: int) -> str:
        return f"{self.sign}{self.amount * places:,.2f}" + (" + VAT" if self.plus_vat else "")


def fee_lines(fee_text: str, counts: PlaceCounts) -> list[tuple[str, str]]:
    """The fee per place, the places invoiced and the total, as far as the course page's fee says; once paid, what
    the payment covered and the difference since."""
    places = f"{counts.confirmed} confirmed"
    if counts.waiting:
        places += f" ({counts.waiting} on the waiting list, invoiced once they have a place)"
    if counts.cancelled:
        places += f"; {counts.cancelled} cancelled, not invoiced"
    if not fee_text:
        return [
            ("Fee per place", NO_FEE_GIVEN),
            ("Places", places),
            ("Total", NO_FEE_GIVEN),
            *since_payment(None, counts),
        ]
    fee = Fee.read(fee_text)
    total = fee.times(counts.confirmed) if fee else "Confirmed by the training office"
    return [("Fee per place", fee_text), ("Places", places), ("Total", total), *since_payment(fee, counts)]


def since_payment(fee: Fee | None, counts: PlaceCounts) -> list[tuple[str, str]]:
    """What changed after the payment: places cancelled since (refunded or credited) or confirmed since (due)."""
    if counts.paid_for is None or counts.paid_for == counts.confirmed:
        return []
    paid = plural(counts.paid_for, "place") + (f", {fee.times(counts.paid_for)}" if fee else "")
    difference = counts.confirmed - counts.paid_for
    places = plural(abs(difference), "place")
    amount = fee.times(abs(difference)) if fee else "the amount the training office confirms"
    if difference > 0:
        return [("Paid for", paid), ("Still due", f"{amount}, for {places} confirmed since the payment")]
    return [
        ("Paid for", paid),
        (
            "To refund or credit",
            f"{amount}, for {places} cancelled since the payment (the training office arranges it)",
        ),
    ]


def payable_to() -> str:
    office = portal_settings()
    where = ", ".join(line.strip() for line in office.office_address.splitlines() if line.strip())
    contact = " or ".join(part for part in (office.office_email, office.office_phone) if part)
    return f"Payable to {office.office_name}{', ' + where if where else ''}. Questions about this invoice: {contact}."
