"""The certification register: who holds which course's certification, from when until when, and whether it
was revoked or renewed. Status is never stored: it is derived from the dates on the day asked."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When

CURRENT, EXPIRING, EXPIRED, REVOKED, RENEWED = "current", "expiring", "expired", "revoked", "renewed"
STATUS_CHOICES = [
    (CURRENT, "Current"),
    (EXPIRING, "Expiring"),
    (EXPIRED, "Expired"),
    (REVOKED, "Revoked"),
    (RENEWED, "Renewed"),
]


def expiring_window() -> datetime.timedelta:
    """A certification is 'expiring' from this long before its expiry (the first reminder's distance)."""
    return datetime.timedelta(days=settings.CERTIFICATION_EXPIRING_DAYS)


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

    def valid_on(self, day: datetime.date):
        """Not revoked, and `day` lies between issue and expiry (both included)."""
        return self.filter(revoked_at__isnull=True, issued_on__lte=day, expires_on__gte=day)

    def expiring_between(self, first: datetime.date, last: datetime.date):
        """In force and expiring (or, for past days, expired) between the two days, both included."""
        return self.in_force().filter(expires_on__range=(first, last))


class Certification(models.Model):
    """A participant's certification for a course, as printed on their card."""

    participant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certifications")
    course = models.ForeignKey("learning.CoursePage", on_delete=models.PROTECT, related_name="certifications")
    number = models.CharField(max_length=40, unique=True, help_text="Printed on the card, e.g. ALS2-2026-000123.")
    issued_on = models.DateField()
    expires_on = models.DateField(help_text="The last day it is valid. Empty: issued on + the course's validity.")
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
        ]
        indexes = [
            models.Index(fields=["expires_on"], name="certification_expiry"),
            models.Index(fields=["participant", "course"], name="certification_holder_course"),
        ]

    def __str__(self):
        return self.number

    def clean(self):
        # The constraint guards the database; this puts the message on the field the administrator must fix.
        if self.issued_on and self.expires_on and self.expires_on <= self.issued_on:
            raise ValidationError({"expires_on": "The expiry date must be after the issue date."})
        if self.revoked_at and not self.revoked_reason.strip():
            raise ValidationError({"revoked_reason": "Say why the certification was revoked."})

    def status_on(self, today: datetime.date) -> str:
        if self.revoked_at:
            return REVOKED
        if self.renewed_by_id:
            return RENEWED
        if self.expires_on < today:
            return EXPIRED
        if self.expires_on <= today + expiring_window():
            return EXPIRING
        return CURRENT

    def days_left(self, today: datetime.date) -> int:
        return (self.expires_on - today).days
