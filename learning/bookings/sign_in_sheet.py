"""The sign-in sheet of a course date: an A4 PDF to print, a sheet for each day of the course, with the course's
facts and a row for each confirmed participant (name, registration number, employer, a box to sign), then a line
for each instructor to sign the day off. Its page (the provider's band, a footer naming the paper) and its tables are
what other printed papers, such as a group booking's invoice, are made of."""

import datetime
import io
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from learning.bookings.models import Booking, CourseDate
from learning.register.cards import BRAND

MARGIN = 15 * mm
# The page template's frame pads its content by 6 points; its edges sit that much outside the margin.
FRAME_EDGE = MARGIN - 6
BAND = 12 * mm
# Number, participant, registration number, employer, signature: 180 mm, the width inside the margins.
PARTICIPANT_COLUMNS = [10 * mm, 50 * mm, 33 * mm, 42 * mm, 45 * mm]
STYLES = getSampleStyleSheet()
CELL = ParagraphStyle("cell", parent=STYLES["BodyText"], fontSize=9, leading=11)
HEADING = ParagraphStyle("heading", parent=STYLES["Heading1"], fontSize=15, spaceAfter=2 * mm)
DAY = ParagraphStyle("day", parent=STYLES["Heading2"], fontSize=12, spaceBefore=4 * mm, spaceAfter=3 * mm)
GRID = [
    ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 1), (-1, -1), 3.5 * mm),
    ("BOTTOMPADDING", (0, 1), (-1, -1), 3.5 * mm),
]


def cell(text) -> Paragraph:
    """A table cell that wraps; the text is a participant's own, so it is escaped rather than read as markup."""
    return Paragraph(escape(str(text or "")), CELL)


def sign_in_sheet_pdf(course_date: CourseDate, bookings: list[Booking]) -> bytes:
    story = []
    for day in range(course_date.days):
        if day:
            story.append(PageBreak())
        story += day_sheet(course_date, bookings, day=day)
    return branded_pdf(story, kind="Sign-in sheet", title=f"Sign-in sheet: {course_date}", footer=str(course_date))


def branded_pdf(story: list, *, kind: str, title: str, footer: str) -> bytes:
    """An A4 PDF of `story` with the provider's band across the top of every page (naming the `kind` of paper) and
    `footer` with the page number at the bottom, so that a loose page finds its way back."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=FRAME_EDGE,
        rightMargin=FRAME_EDGE,
        topMargin=BAND + 8 * mm,
        bottomMargin=MARGIN,
        title=title,
        author=settings.PORTAL_NAME,
    )

    def draw_page(pdf, _document):
        draw_band_and_footer(pdf, kind=kind, footer=footer)

    document.build(story, onFirstPage=draw_page, onLaterPages=draw_page)
    return buffer.getvalue()


def day_sheet(course_date: CourseDate, bookings: list[Booking], *, day: int) -> list:
    """One day's sheet: the course's facts, the participants to sign in, and the instructors to sign it off."""
    on = course_date.starts_on + datetime.timedelta(days=day)
    return [
        Paragraph(escape(course_title(course_date.course)), HEADING),
        facts_table(course_date),
        Paragraph(f"Day {day + 1} of {course_date.days}: {on:%A %-d %B %Y}", DAY),
        participants_table(bookings),
        Spacer(0, 6 * mm),
        instructors_table(course_date.instructors),
    ]


def course_title(course) -> str:
    heading = course.heading
    return heading if heading.startswith(course.code) else f"{course.code}: {heading}"


def facts_table(course_date: CourseDate) -> Table:
    return label_table([*date_facts(course_date), ("Instructors", course_date.instructors)])


def date_facts(course_date: CourseDate) -> list[tuple[str, str]]:
    """(label, value) of when and where the course date runs, as printed papers state them."""
    first, last = course_date.starts_on, course_date.ends_on
    dates = f"{first:%-d %B %Y}" if first == last else f"{first:%-d %B %Y} to {last:%-d %B %Y}"
    return [
        ("Dates", f"{dates} ({course_date.days} day{'s' if course_date.days != 1 else ''})"),
        ("Hours", f"{course_date.daily_start:%H:%M} to {course_date.daily_end:%H:%M} each day"),
        ("Venue", course_date.venue),
    ]


def label_table(rows) -> Table:
    """Two columns across the page: a bold label and its value, one row each."""
    table = Table([[cell(label), cell(value)] for label, value in rows], colWidths=[30 * mm, 150 * mm])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def participants_table(bookings: list[Booking]) -> Table:
    """A row per participant; the header row repeats on every page the table runs over."""
    header = [cell(text) for text in ("No.", "Participant", "Registration number", "Employer", "Signature")]
    rows = [
        [
            cell(number),
            cell(participant_name(booking)),
            cell(booking.participant.registration_number),
            cell(booking.participant.employer),
            "",
        ]
        for number, booking in enumerate(bookings, start=1)
    ]
    style = list(GRID)
    if not rows:
        rows = [[cell("No confirmed participants."), "", "", "", ""]]
        style.append(("SPAN", (0, 1), (-1, 1)))
    table = Table([header, *rows], colWidths=PARTICIPANT_COLUMNS, repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def participant_name(booking: Booking) -> str:
    return booking.participant.get_full_name() or booking.participant.email


def instructors_table(instructors: int) -> Table:
    header = [cell("Instructor"), cell("Name"), cell("Signature")]
    rows = [[cell(number), "", ""] for number in range(1, instructors + 1)]
    table = Table([header, *rows], colWidths=[25 * mm, 90 * mm, 65 * mm], repeatRows=1)
    table.setStyle(TableStyle(GRID))
    return table


def draw_band_and_footer(pdf, *, kind: str, footer: str) -> None:
    """The provider's band across the top of the page with the `kind` of paper, and `footer` with the page number
    at the bottom."""
    width, height = A4
    pdf.saveState()
    pdf.setFillColor(BRAND)
    pdf.rect(0, height - BAND, width, BAND, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(MARGIN, height - 7.8 * mm, settings.PORTAL_NAME)
    pdf.drawRightString(width - MARGIN, height - 7.8 * mm, kind)
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(MARGIN, 8 * mm, footer)
    pdf.drawRightString(width - MARGIN, 8 * mm, f"Page {pdf.getPageNumber()}")
    pdf.restoreState()
