"""Demo content: the page tree and a few accounts, so a newcomer sees a working portal at once.

`load_demo` calls `load_demo_content()`; every step is idempotent: what exists already is left as it is.
Later parts of the portal (courses, certifications, materials) add their own steps here.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Collection, PageViewRestriction

from home.models import HomePage
from learning.catalogue.services import CREATED, FAILED, UPDATED, import_course_file
from learning.continuing_education.services import ce_record, ce_submit
from learning.models import (
    Booking,
    CaseStudyPage,
    Certification,
    ContinuingEducationActivity,
    ContinuingEducationIndexPage,
    ContinuingEducationOfferPage,
    CourseDate,
    CourseIndexPage,
    CoursePage,
    GuidelineUpdatePage,
    LibraryIndexPage,
    ManagerRole,
    ManualPage,
    MaterialDocument,
    Membership,
    Organisation,
    RequiredCourse,
)
from learning.register.services import add_months, certification_issue

# The provider's Hugo course pages, shipped with the project (a fresh clone has no ../shared).
DEMO_COURSE_FILES = [Path(__file__).parent / "demo" / "hugo" / name for name in ("als1.md", "als2.md")]

# Published in the README: demo accounts are for a machine of your own, never a public server.
DEMO_PASSWORD = "resus-demo-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    first_name: str
    last_name: str
    is_superuser: bool = False
    groups: tuple[str, ...] = ()


DEMO_ACCOUNTS = (
    DemoAccount("administrator", "admin@example.com", "Ada", "Admin", is_superuser=True),
    DemoAccount("editor", "editor@example.com", "Eddie", "Editor", groups=("Editors",)),
    DemoAccount("participant", "alice@example.com", "Alice", "Nguyen"),
    DemoAccount("participant", "ben@example.com", "Ben", "Okafor"),
    DemoAccount("participant", "chloe@example.com", "Chloe", "Martin"),
    DemoAccount("participant", "dev@example.com", "Dev", "Patel"),
    DemoAccount("trust manager", "trust.manager@example.com", "Tara", "Lindqvist"),
    DemoAccount("ED manager", "ed.manager@example.com", "Emma", "Reid"),
    DemoAccount("CCU manager", "ccu.manager@example.com", "Kofi", "Mensah"),
)

HOME_BODY = (
    "<h2>What you will find here</h2>"
    "<ul><li>The course catalogue: ALS1 and ALS2, with dates and how to book.</li>"
    "<li>For participants: your course manuals, case studies and the latest guideline updates.</li>"
    "<li>Your certifications, when they expire, and a reminder in good time to renew.</li></ul>"
)


@dataclass
class DemoReport:
    created: list[str]
    accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS
    password: str = DEMO_PASSWORD


def ensure_accounts(report: DemoReport) -> None:
    User = get_user_model()
    for account in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            email=account.email,
            defaults={
                "first_name": account.first_name,
                "last_name": account.last_name,
                "is_staff": account.is_superuser,
                "is_superuser": account.is_superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.add(*Group.objects.filter(name__in=account.groups))
            report.created.append(f"{account.role} {account.email}")


def ensure_home_page(report: DemoReport) -> HomePage:
    home = HomePage.objects.get()
    if not home.body:
        home.body = HOME_BODY
        home.save_revision().publish()
        report.created.append("home page text")
    return home


def publish_child(parent, page):
    """Adds `page` under `parent` and publishes it as an editor would: a revision, then publication."""
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


# The demo's listing pages under the home page: (title, slug, intro) of each.
INDEX_PAGES = {
    "CourseIndexPage": (
        "Courses",
        "courses",
        "<p>Advanced Life Support courses for healthcare professionals, from foundation to advanced team "
        "leadership.</p>",
    ),
    "ContinuingEducationIndexPage": (
        "Continuing education",
        "continuing-education",
        "<p>Short sessions that keep your resuscitation skills sharp between courses, with credits.</p>",
    ),
    "LibraryIndexPage": (
        "Course materials",
        "materials",
        "<p>Manuals, case studies and guideline updates for the courses you hold or are booked on.</p>",
    ),
}


def first_or_published(model, parent):
    """The first page of `model` when there is one (an editor may have changed or moved it since), or a new one
    as INDEX_PAGES describes it, published under `parent`; and whether it was created."""
    page = model.objects.first()
    if page is not None:
        return page, False
    title, slug, intro = INDEX_PAGES[model.__name__]
    return publish_child(parent, model(title=title, slug=slug, intro=intro)), True


def ensure_catalogue(report: DemoReport, home: HomePage) -> CourseIndexPage:
    catalogue, created = first_or_published(CourseIndexPage, home)
    if created:
        report.created.append("course catalogue /courses/")
    for path in DEMO_COURSE_FILES:
        result = import_course_file(path, catalogue)
        if result.outcome == FAILED:
            raise RuntimeError(result.message)
        if result.outcome in (CREATED, UPDATED):
            report.created.append(f"course {result.code} ({result.outcome} from {path.name})")
    return catalogue


def demo_certifications(today: datetime.date) -> dict[str, list[tuple[str, datetime.date]]]:
    """(course code, issued on) per demo participant: one current, one expiring within 30 days, one
    expired, and an ALS2 holder whose ALS1 has lapsed."""
    return {
        "alice@example.com": [("ALS1", today - datetime.timedelta(days=200))],
        "ben@example.com": [
            ("ALS1", today - datetime.timedelta(days=300)),
            ("ALS2", add_months(today, -24) + datetime.timedelta(days=21)),
        ],
        "chloe@example.com": [("ALS1", add_months(today, -24) - datetime.timedelta(days=40))],
        "dev@example.com": [
            ("ALS1", add_months(today, -24) - datetime.timedelta(days=10)),
            ("ALS2", today - datetime.timedelta(days=150)),
        ],
    }


def ensure_certifications(report: DemoReport, today: datetime.date) -> None:
    courses = {course.code: course for course in CoursePage.objects.all()}
    for email, held in demo_certifications(today).items():
        participant = get_user_model().objects.get(email=email)
        for code, issued_on in held:
            if Certification.objects.filter(participant=participant, course=courses[code]).exists():
                continue
            issued = certification_issue(participant=participant, course=courses[code], issued_on=issued_on)
            report.created.append(f"certification {issued.number} for {email}")


DEMO_DATES = [
    # (course, days from today to the start, instructors, venue)
    ("ALS1", 21, 2, "Riverside Training Centre, Room 1"),
    ("ALS1", 63, 2, "Riverside Training Centre, Room 1"),
    ("ALS2", 28, 1, "Riverside Training Centre, Simulation Suite"),
    ("ALS2", 84, 2, "Riverside Training Centre, Simulation Suite"),
]
# Colleagues who fill the first ALS2 date to one seat short of full (demo only; not printed as accounts).
FILLERS = [("Sam", "Hughes"), ("Priya", "Shah"), ("Tom", "Berg"), ("Lena", "Kovac"), ("Omar", "Haddad")]


def ensure_course_dates(report: DemoReport, today: datetime.date) -> None:
    courses = {course.code: course for course in CoursePage.objects.all()}
    for code, starts_in, instructors, venue in DEMO_DATES:
        course = courses[code]
        starts_on = today + datetime.timedelta(days=starts_in)
        if CourseDate.objects.filter(course=course, starts_on=starts_on).exists():
            continue
        CourseDate.objects.create(
            course=course,
            starts_on=starts_on,
            ends_on=starts_on + datetime.timedelta(days=(course.duration_days or 1) - 1),
            venue=venue,
            instructors=instructors,
        )
        report.created.append(f"{code} date on {starts_on}")
    nearly_full = CourseDate.objects.filter(course__code="ALS2").order_by("starts_on").first()
    if nearly_full and not nearly_full.bookings.exists():
        User = get_user_model()
        for first_name, last_name in FILLERS:
            colleague, _ = User.objects.get_or_create(
                email=f"{first_name.lower()}.{last_name.lower()}@example.com",
                defaults={"first_name": first_name, "last_name": last_name, "password": make_password(None)},
            )
            # Demo data is written directly: these colleagues have no ALS1 on record to check.
            Booking.objects.create(course_date=nearly_full, participant=colleague, status=Booking.CONFIRMED)
        report.created.append(f"{len(FILLERS)} bookings on {nearly_full} (one seat left)")


SIGN_UP = "Email the training office with your name, registration number and the session's date."
DEMO_CE_OFFERS = [
    # (title, days from today, start and end hour, where, credits, summary)
    (
        "Simulation evening: peri-arrest arrhythmias",
        14,
        (18, 21),
        "Simulation Suite, Riverside Training Centre",
        "3",
        "Three scenarios in the simulation suite.",
    ),
    (
        "Airway skills refresher",
        45,
        (9, 12),
        "Skills Lab 2, Riverside Training Centre",
        "2",
        "Supraglottic airways and bag-mask ventilation, hands on.",
    ),
    (
        "Guideline update webinar",
        30,
        (12, 13),
        "Online (the link is emailed when you sign up)",
        "1",
        "What changed in this year's resuscitation guidelines.",
    ),
]


def ensure_continuing_education(report: DemoReport, home: HomePage, today: datetime.date) -> None:
    listing, created = first_or_published(ContinuingEducationIndexPage, home)
    if created:
        for title, days_ahead, (start, end), venue, credits, summary in DEMO_CE_OFFERS:
            publish_child(
                listing,
                ContinuingEducationOfferPage(
                    title=title,
                    held_on=today + datetime.timedelta(days=days_ahead),
                    starts_at=datetime.time(start),
                    ends_at=datetime.time(end),
                    venue=venue,
                    how_to_take_part=SIGN_UP,
                    credits=credits,
                    provider=settings.PORTAL_NAME,
                    summary=summary,
                ),
            )
        report.created.append(f"continuing education listing with {len(DEMO_CE_OFFERS)} offers")
    ensure_ce_activities(report, today)


def ensure_ce_activities(report: DemoReport, today: datetime.date) -> None:
    """Alice's record: an activity recorded by the provider, and one she submitted that waits for review."""
    alice = get_user_model().objects.get(email="alice@example.com")
    if ContinuingEducationActivity.objects.filter(participant=alice).exists():
        return
    ce_record(
        participant=alice,
        title="Simulation evening: sepsis",
        provider=settings.PORTAL_NAME,
        completed_on=today - datetime.timedelta(days=60),
        credits=3,
    )
    ce_submit(
        participant=alice,
        title="Hospital resuscitation audit meeting",
        provider="City Hospital",
        completed_on=today - datetime.timedelta(days=10),
        credits=1,
    )
    report.created.append("continuing education activities for alice@example.com")


def demo_pdf(title: str, lines: list[str]) -> bytes:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(60, 780, title)
    pdf.setFont("Helvetica", 11)
    for index, line in enumerate(lines):
        pdf.drawString(60, 740 - index * 18, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


DEMO_MATERIALS = {
    "ALS1": {
        "manual": (
            "ALS1 course manual",
            "The ALS1 manual: the ABCDE approach, high-quality CPR, defibrillation and the ALS algorithm.",
            [
                (
                    "The deteriorating patient",
                    "<p>Most in-hospital cardiac arrests follow hours of deterioration. Use the ABCDE approach and "
                    "call for help early.</p>",
                ),
                (
                    "High-quality CPR",
                    "<p>Compress to a depth of 5 to 6 cm at 100 to 120 a minute, with full recoil and minimal "
                    "interruptions.</p>",
                ),
            ],
        ),
        "case": (
            "Case: collapse on the ward",
            "Mr B, 72, is found unresponsive in his bed on a surgical ward.",
            "<p>Mr B, 72, day two after a hip replacement, is found unresponsive by the night nurse.</p>",
            [("Heart rate", "no palpable pulse"), ("Rhythm", "ventricular fibrillation")],
            ["Who leads, and what is the first action?", "When is the first shock given?"],
            "<p>Shock first, then 2 minutes of CPR. Adrenaline after the third shock; consider reversible causes.</p>",
        ),
        "guideline": (
            "2026 update: adrenaline timing in shockable rhythms",
            "Adrenaline now follows the third shock.",
            "<p>The timing of adrenaline in shockable rhythms is clarified: give 1 mg after the third shock.</p>",
        ),
    },
    "ALS2": {
        "manual": (
            "ALS2 advanced manual",
            "The ALS2 manual: advanced airway, post-resuscitation care and team leadership.",
            [
                (
                    "Advanced airway",
                    "<p>Use waveform capnography to confirm tracheal tube placement and to monitor CPR quality.</p>",
                ),
                (
                    "Leading the team",
                    "<p>Assign roles, share a mental model aloud, and plan the next two minutes at every rhythm "
                    "check.</p>",
                ),
            ],
        ),
        "case": (
            "Case: peri-arrest bradycardia",
            "A 58-year-old with a heart rate of 34 and falling blood pressure.",
            "<p>A 58-year-old man in the emergency department: heart rate 34, blood pressure 78/40, clammy.</p>",
            [("Heart rate", "34 /min"), ("Blood pressure", "78/40 mmHg")],
            ["Which adverse features are present?", "What is your first treatment, and your second?"],
            "<p>Atropine 500 micrograms; if ineffective, consider transcutaneous pacing or an adrenaline infusion.</p>",
        ),
        "guideline": (
            "2026 update: post-resuscitation temperature control",
            "Prevent fever for at least 72 hours.",
            "<p>Active prevention of fever (over 37.7 °C) for at least 72 hours replaces the earlier targets.</p>",
        ),
    },
}


def demo_figure(collection):
    """A small generated rhythm-strip picture for the demo manual (no file shipped, nothing fetched)."""
    import io

    from django.core.files.images import ImageFile
    from PIL import Image, ImageDraw
    from wagtail.images import get_image_model

    picture = Image.new("RGB", (480, 160), "white")
    draw = ImageDraw.Draw(picture)
    baseline = [(x, 80 + (-60 if x % 96 == 40 else 0)) for x in range(0, 481, 8)]
    draw.line(baseline, fill=(200, 30, 30), width=3)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return get_image_model().objects.create(
        title="Rhythm strip: sinus rhythm", collection=collection, file=ImageFile(buffer, name="demo-rhythm-strip.png")
    )


def ensure_public_downloads(report: DemoReport) -> None:
    """A collection an editor marked public, with the course overview anyone may download: every other document
    stays private (deny by default)."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.models import Collection

    from learning.models import PublicCollection

    if PublicCollection.objects.exists():
        return
    collection = Collection.get_first_root_node().add_child(name="Public downloads")
    PublicCollection.objects.create(collection=collection, reason="Course overviews for prospective participants.")
    document = get_document_model()(title="Course overview", collection=collection)
    document.file.save(
        "course-overview.pdf",
        ContentFile(demo_pdf("ALS courses: overview", ["ALS1 and ALS2 at a glance.", "Demo edition."])),
    )
    report.created.append("a public collection with the course overview PDF")


def ensure_materials(report: DemoReport, home: HomePage, today: datetime.date) -> None:
    library, created = first_or_published(LibraryIndexPage, home)
    if not created:
        return
    # Defence in depth: Wagtail's own listings (public(), menus) treat the whole library as sign-in only.
    PageViewRestriction.objects.create(page=library, restriction_type=PageViewRestriction.LOGIN)
    collection = Collection.get_first_root_node().add_child(name="Course materials")
    courses = {course.code: course for course in CoursePage.objects.all()}
    for code, content in DEMO_MATERIALS.items():
        for material in (
            demo_manual(code, content["manual"], collection),
            demo_case_study(content["case"]),
            demo_guideline_update(content["guideline"], today),
        ):
            material.courses = [courses[code]]
            publish_child(library, material)
    report.created.append(
        "materials library with a manual (and its PDF), a case study and a guideline update per course"
    )


def demo_manual(code: str, content: tuple, collection: Collection) -> ManualPage:
    """A course's manual, its first chapter with a figure, and its PDF attached; images and PDF in `collection`."""
    title, summary, chapters = content
    blocks = [
        {"type": "chapter", "value": {"heading": heading, "body": [{"type": "text", "value": text}]}}
        for heading, text in chapters
    ]
    # The figure's image is private like the page: served only through the page, to its readers.
    figure = {"image": demo_figure(collection).pk, "caption": "Sinus rhythm"}
    blocks[0]["value"]["body"].append({"type": "figure", "value": figure})
    manual = ManualPage(title=title, summary=summary, chapters=blocks)
    document = get_document_model()(title=f"{title} (PDF)", collection=collection)
    document.file.save(f"{code.lower()}-manual.pdf", ContentFile(demo_pdf(title, [summary, "Demo edition."])))
    manual.attachments = [MaterialDocument(document=document)]
    return manual


def demo_case_study(content: tuple) -> CaseStudyPage:
    title, summary, scenario, observations, questions, debrief = content
    return CaseStudyPage(
        title=title,
        summary=summary,
        scenario=scenario,
        debrief=debrief,
        observations=[
            {"type": "observation", "value": {"label": label, "value": value}} for label, value in observations
        ],
        questions=[{"type": "question", "value": question} for question in questions],
    )


def demo_guideline_update(content: tuple, today: datetime.date) -> GuidelineUpdatePage:
    title, summary, changed = content
    return GuidelineUpdatePage(title=title, summary=summary, what_changed=changed, effective_on=today)


# The demo's employer: an NHS-style trust that requires ALS1 of everyone, and its two departments, each with
# what it requires on top, its members (by email) and its manager. Together the members are in every state a
# manager meets: compliant (Alice; Dev through his ALS2), expiring and booked (Erin), expiring and not booked
# (Ben's ALS2), lapsed (Chloe) and never certified (Femi).
DEMO_TRUST = "Riverside Hospitals NHS Trust"
DEMO_TRUST_MANAGER = "trust.manager@example.com"
DEMO_DEPARTMENTS = {
    "Emergency Department": (
        (),
        ("alice@example.com", "chloe@example.com", "erin.walsh@example.com", "femi.adeyemi@example.com"),
        "ed.manager@example.com",
    ),
    "Critical Care Unit": (("ALS2",), ("ben@example.com", "dev@example.com"), "ccu.manager@example.com"),
}
# Colleagues who complete the picture on My team (demo only; not printed as accounts).
TEAM_COLLEAGUES = [("Erin", "Walsh"), ("Femi", "Adeyemi")]


def ensure_organisations(report: DemoReport, today: datetime.date) -> None:
    """The trust, its departments, their required courses, managers and members; once."""
    if Organisation.objects.filter(name=DEMO_TRUST, parent=None).exists():
        return
    courses = {course.code: course for course in CoursePage.objects.all()}
    ensure_team_colleagues(courses["ALS1"], today)
    users = {user.email: user for user in get_user_model().objects.all()}
    trust = Organisation.objects.create(
        name=DEMO_TRUST,
        invoice_address="Finance Department\nRiverside General Hospital\nRiver Road\nRiverside RV1 2AB",
        purchase_order_contact="Lee Carter, training budget officer",
        purchase_order_email="training.budget@example.com",
    )
    RequiredCourse.objects.create(organisation=trust, course=courses["ALS1"])
    ManagerRole.objects.create(organisation=trust, user=users[DEMO_TRUST_MANAGER])
    for name, (required, members, manager) in DEMO_DEPARTMENTS.items():
        department = Organisation.objects.create(name=name, parent=trust)
        RequiredCourse.objects.bulk_create(RequiredCourse(organisation=department, course=courses[c]) for c in required)
        Membership.objects.bulk_create(Membership(organisation=department, participant=users[e]) for e in members)
        ManagerRole.objects.create(organisation=department, user=users[manager])
    report.created.append(f"organisation {DEMO_TRUST} with {len(DEMO_DEPARTMENTS)} departments, managers and members")


def ensure_team_colleagues(als1: CoursePage, today: datetime.date) -> None:
    """Erin's ALS1 expires in 25 days and she is booked on the first ALS1 date; Femi was never certified."""
    colleagues = {}
    for first_name, last_name in TEAM_COLLEAGUES:
        colleagues[first_name], _ = get_user_model().objects.get_or_create(
            email=f"{first_name.lower()}.{last_name.lower()}@example.com",
            defaults={"first_name": first_name, "last_name": last_name, "password": make_password(None)},
        )
    erin = colleagues["Erin"]
    if Certification.objects.filter(participant=erin).exists():
        return
    expires_on = today + datetime.timedelta(days=25)
    issued_on = add_months(expires_on, -(als1.validity_months or 24))
    certification_issue(participant=erin, course=als1, issued_on=issued_on, expires_on=expires_on)
    first_date = CourseDate.objects.filter(course=als1).upcoming(today).order_by("starts_on").first()
    if first_date:
        Booking.objects.create(course_date=first_date, participant=erin, status=Booking.CONFIRMED)


@transaction.atomic
def load_demo_content() -> DemoReport:
    report = DemoReport(created=[])
    home = ensure_home_page(report)
    ensure_catalogue(report, home)
    ensure_accounts(report)
    ensure_certifications(report, timezone.localdate())
    ensure_course_dates(report, timezone.localdate())
    ensure_continuing_education(report, home, timezone.localdate())
    ensure_materials(report, home, timezone.localdate())
    ensure_public_downloads(report)
    ensure_organisations(report, timezone.localdate())
    return report
