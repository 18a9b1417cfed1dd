"""Demo content: the page tree and a few accounts, so a newcomer sees a working portal at once.

`load_demo` calls `load_demo_content()`; every step is idempotent: what exists already is left as it is.
Later parts of the portal (courses, certifications, materials) add their own steps here.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from home.models import HomePage

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


@transaction.atomic
def load_demo_content() -> DemoReport:
    report = DemoReport(created=[])
    ensure_home_page(report)
    ensure_accounts(report)
    return report
