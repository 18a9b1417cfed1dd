"""Continuing-education activities: recorded by an administrator, or submitted with evidence for approval."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


def evidence_path(activity, filename):
    return f"private/ce-evidence/{activity.participant_id}/{filename}"


class ContinuingEducationActivity(models.Model):
    """Continuing education with credits: recorded by an administrator, or submitted by a participant with
    evidence for an administrator to approve."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    PENDING, APPROVED, REJECTED = Status.PENDING, Status.APPROVED, Status.REJECTED

    participant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ce_activities")
    title = models.CharField(max_length=255)
    provider = models.CharField(max_length=255)
    completed_on = models.DateField()
    credits = models.DecimalField(max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))])
    evidence = models.FileField(upload_to=evidence_path, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    review_note = models.CharField(max_length=255, blank=True, help_text="Shown to the participant.")
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-completed_on", "-pk"]
        verbose_name = "continuing education activity"
        verbose_name_plural = "continuing education activities"
        constraints = [models.CheckConstraint(condition=Q(credits__gt=0), name="ce_credits_positive")]

    def __str__(self):
        return f"{self.title} ({self.credits} credits)"
