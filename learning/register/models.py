"""The certification register: who holds which course's certification, from when until when, and whether it
was revoked or renewed. Status is never stored: it is derived from the dates on the day asked."""

import datetime
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Upper

from learning.common.models import portal_settings


class CertificationStatus(models.TextChoices):
    """Derived from the dates on the day asked (Certification.status_on, CertificationQuerySet.with_status)."""

    # The labels are the names ("Current", "Expiring" ...), as TextChoices makes them.
    CURRENT = "current"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    REVOKED = "revoked"
    RENEWED = "renewed"


CURRENT, EXPIRING, EXPIRED = CertificationStatus.CURRENT, CertificationStatus.EXPIRING, CertificationStatus.EXPIRED
REVOKED, RENEWED = CertificationStatus.REVOKED, CertificationStatus.RENEWED
STATUS_CHOICES = CertificationStatus.choices


# The one format of a certification number (README.md, "Certification numbers"): it is printed on cards, typed by
# employers into /verify/ and put in URLs, so it holds nothing a URL, a spreadsheet or a reader could mangle.
NUMBER_FORMAT = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{1,38}[A-Za-z0-9]")
NUMBER_FORMAT_TEXT = (
    "3 to 40 letters (A-Z), digits and hyphens, starting and ending with a letter or digit, e.g. ALS2-2026-000123"
)
validate_number = RegexValidator(
    rf"\A{NUMBER_FORMAT.pattern}\Z", f"A certification number is {NUMBER_FORMAT_TEXT}.", code="number_format"
)


# Dates outside these are typing slips (a year typed as 26 is year 0026, 2205 for 2025), not records: nobody
# holds a certification issued before 1950, and no course is valid into the next century. The form and the
# import both refuse them.
EARLIEST_DATE, LATEST_DATE = datetime.date(1950, 1, 1), datetime.date(2100, 12, 31)


def within_register_dates(day: datetime.date) -> None:
    """A certification's dates lie between EARLIEST_DATE and LATEST_DATE."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        written = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"  # strftime writes year 26 as "26"
        raise ValidationError(
            f"{written} is outside the dates the register takes ({EARLIEST_DATE:%d/%m/%Y} to {LATEST_DATE:%d/%m/%Y}).",
            code="outside_register_dates",
        )


def is_certification_number(text: str) -> bool:
    return NUMBER_FORMAT.fullmatch(text) is not None


def expiring_window() -> datetime.timedelta:
    """A certification is 'expiring' from this long before its expiry (Settings > Portal settings)."""
    return datetime.timedelta(days=portal_settings().expiring_days)


class CertificationQuerySet(models.QuerySet):
    def with_status(self, today: datetime.date):
        """Annotates `status` as of `today`, in the database, so that lists filter and count by it."""
        return self.annotate(
            status=Case(
                When(revoked_at__isnull=False, then=Value(REVOKED)),
                When(renewed_by__isnull=False, then=Value(RENEWED)),
                When(expires_on__lt=today, then=Value(EXPIRED)),
                When(expires_on__lte=today + expiring_window(), then=Value(EXPIRING)),
                default=Value(CURRENT),
                output_field=models.CharField(),
            )
        )

    def in_force(self):
        """Neither revoked nor replaced by a renewal."""
        return self.filter(revoked_at__isnull=True, renewed_by__isnull=True)

    def valid_on(self, day: datetime.date, *, grace: datetime.timedelta = datetime.timedelta(0)):
        """Not revoked, and `day` lies between issue and expiry (both included), the expiry extended by `grace`.
        Certification.is_valid_on is the same rule for one certification already loaded."""
        return self.filter(revoked_at__isnull=True, issued_on__lte=day, expires_on__gte=day - grace)

    def expiring_between(self, first: datetime.date, last: datetime.date):
        """In force and expiring (or, for past days, expired) between the two days, both included."""
        return self.in_force().filter(expires_on__range=(first, last))


class Certification(models.Model):
    """A participant's certification for a course, as printed on their card."""

    participant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certifications")
    course = models.ForeignKey("learning.CoursePage", on_delete=models.PROTECT, related_name="certifications")
    number = models.CharField(
        max_length=40,
        unique=True,
        validators=[validate_number],
        help_text="Printed on the card, e.g. ALS2-2026-000123: letters, digits and hyphens; upper and lower case are "
        "the same number.",
    )
    issued_on = models.DateField(validators=[within_register_dates])
    expires_on = models.DateField(
        help_text="The last day it is valid. Empty: issued on + the course's validity.",
        validators=[within_register_dates],
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=255, blank=True)
    renewed_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renews",
        help_text="The certification that replaced this one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CertificationQuerySet.as_manager()

    class Meta:
        ordering = ["expires_on", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=F("issued_on")), name="certification_expires_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""), name="certification_revocation_has_reason"
            ),
            models.CheckConstraint(condition=~Q(renewed_by=F("pk")), name="certification_not_renewed_by_itself"),
            # Verification looks numbers up ignoring case, so two may not differ only in case.
            models.UniqueConstraint(
                Upper("number"),
                name="certification_number_unique_ignoring_case",
                violation_error_message="Another certification has this number (upper and lower case are the same).",
            ),
        ]
        indexes = [
            models.Index(fields=["expires_on"], name="certification_expiry"),
            # No (participant, course) index: the participant's own index finds their few certifications, and
            # the one below answers the scan. Every index is paid for by each row an import writes.
            # "Is there a newer certification in force for the same holder and course?" (the reminder scan asks
            # it of every certification it looks at): one probe of this index, without reading the table.
            models.Index(
                fields=["participant", "course", "expires_on"],
                condition=Q(revoked_at__isnull=True),
                name="certification_newer_lookup",
            ),
        ]

    def __str__(self):
        return self.number

    def clean(self):
        # The constraint guards the database; this puts the message on the field the administrator must fix.
        if self.issued_on and self.expires_on and self.expires_on <= self.issued_on:
            raise ValidationError({"expires_on": "The expiry date must be after the issue date."})
        if self.revoked_at and not self.revoked_reason.strip():
            raise ValidationError({"revoked_reason": "Say why the certification was revoked."})

    def is_valid_on(self, day: datetime.date) -> bool:
        """The rule of CertificationQuerySet.valid_on, for one certification already loaded."""
        return self.revoked_at is None and self.issued_on <= day <= self.expires_on

    def status_on(self, today: datetime.date, *, expiring: datetime.timedelta | None = None) -> str:
        """Current, expiring, expired, revoked or renewed on `today`; pass `expiring` when asking for many rows."""
        if self.revoked_at:
            return REVOKED
        if self.renewed_by_id:
            return RENEWED
        if self.expires_on < today:
            return EXPIRED
        if self.expires_on <= today + (expiring if expiring is not None else expiring_window()):
            return EXPIRING
        return CURRENT

    def days_left(self, today: datetime.date) -> int:
        return (self.expires_on - today).days


class ImportKind(models.TextChoices):
    """What an import run imports; each kind is imported by the command of its name, manage.py import_<kind>."""

    CERTIFICATIONS = "certifications", "Certifications"
    MEMBERS = "members", "Organisation members"


# Where each kind's uploads are kept, under private/.
UPLOAD_FOLDERS = {ImportKind.CERTIFICATIONS: "certification-imports", ImportKind.MEMBERS: "member-imports"}


def import_upload_path(run, filename):
    """Uploads are kept under private/, which nothing serves: the file holds people's names and addresses. The
    stored name is random (the administrator's file name is kept on the run) so that no two uploads collide."""
    return f"private/{UPLOAD_FOLDERS[run.kind]}/{uuid.uuid4().hex}.csv"


class ImportRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Imported"
    REFUSED = "refused", "Nothing imported"


class ImportRun(models.Model):
    """One CSV import started in the admin and run by a worker: what it imports (certifications, organisation
    members), who started it, with which file and options, how far it has got, and what came of it (the report's
    summary, or why nothing was imported)."""

    Status = ImportRunStatus

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to=import_upload_path, max_length=255)
    file_name = models.CharField(max_length=255, help_text="The name of the file as it was uploaded.")
    skip_invalid = models.BooleanField(default=False)
    invite = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ImportRunStatus.choices, default=ImportRunStatus.QUEUED)
    # The import's own stage names ("checking", then "writing"), and its rows done of that stage's total.
    stage = models.CharField(max_length=10, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    summary = models.CharField(max_length=255, blank=True)
    encoding_note = models.CharField(max_length=255, blank=True)
    refusal = models.TextField(blank=True, help_text="Why the file was refused as a whole.")
    rejected_count = models.PositiveIntegerField(default=0)
    invited = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "import"

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display().lower()})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportRunStatus.DONE, ImportRunStatus.REFUSED)

    @property
    def percent(self) -> int:
        """How far the whole import is: checking every row is the first half, writing the good ones the second."""
        if self.finished:
            return 100
        if not self.rows_total:  # no row to check yet, or none left to write
            return 50 if self.stage == "writing" else 0
        half = 50 * min(self.rows_done, self.rows_total) // self.rows_total
        return half + (50 if self.stage == "writing" else 0)

    @property
    def progress_text(self) -> str:
        """Where the run is, in words, for its page and the page's progress bar."""
        if self.finished:
            return self.summary or self.get_status_display()
        if self.status == ImportRunStatus.QUEUED:
            return "Waiting for a worker to start the import."
        if self.stage == "checking":
            return f"Checking the rows: {self.rows_done} of {self.rows_total}."
        if self.stage == "writing":
            return f"Writing the good rows: {self.rows_done} of {self.rows_total}."
        return "Reading the file."


class RejectedImportRow(models.Model):
    """A row of an import's file that was refused: its line, the columns at fault, why, and what it held."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejected_rows")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=255)
    reason = models.TextField()
    values = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "line", "pk"]
        indexes = [models.Index(fields=["run", "line"], name="rejected_import_row_line")]

    def __str__(self):
        return f"line {self.line}, {self.column}: {self.reason}"
