"""Demo content: the page tree and a few accounts, so a newcomer sees a working portal at once.

`load_demo` calls `load_demo_content()`; every step is idempotent: what exists already is left as it is.
Later parts of the portal (courses, certifications, materials) add their own steps here.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from home.models import HomePage
from learning.catalogue import CREATED, FAILED, UPDATED, import_course_file
from learning.certifications import add_months, certification_issue
from learning.models import Certification, CourseIndexPage, CoursePage

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


def ensure_catalogue(report: DemoReport, home: HomePage) -> CourseIndexPage:
    catalogue = CourseIndexPage.objects.first()
    if catalogue is None:
        catalogue = CourseIndexPage(
            title="Courses",
            slug="courses",
            intro="<p>Advanced Life Support courses for healthcare professionals, from foundation to advanced "
            "team leadership.</p>",
        )
        home.add_child(instance=catalogue)
        catalogue.save_revision().publish()
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


@transaction.atomic
def load_demo_content() -> DemoReport:
    report = DemoReport(created=[])
    home = ensure_home_page(report)
    ensure_catalogue(report, home)
    ensure_accounts(report)
    ensure_certifications(report, timezone.localdate())
    return report
