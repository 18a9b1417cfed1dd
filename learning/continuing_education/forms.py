"""The form a participant submits continuing education with."""

from pathlib import PurePath

from django import forms
from django.utils import timezone

from learning.continuing_education.services import credits_problem


class BoundedCreditsMixin:
    """Refuses, on the credits field, more credits than one activity may claim (Settings > Portal settings)."""

    def clean_credits(self):
        credits = self.cleaned_data["credits"]
        if problem := credits_problem(credits):
            raise forms.ValidationError(problem, code="too_many_credits")
        return credits


# An activity completed longer ago than this counts towards no certification period a participant renews.
OLDEST_YEARS = 10


class ContinuingEducationForm(BoundedCreditsMixin, forms.Form):
    title = forms.CharField(max_length=255)
    provider = forms.CharField(max_length=255, help_text="Who ran it, e.g. the hospital's education team.")
    completed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Completed on")
    credits = forms.DecimalField(min_value=0.5, max_digits=5, decimal_places=1)
    evidence = forms.FileField(help_text="A certificate of attendance or similar (PDF or image, up to 10 MB).")

    def clean_completed_on(self):
        completed_on, today = self.cleaned_data["completed_on"], timezone.localdate()
        if completed_on > today:
            raise forms.ValidationError("The date cannot be in the future.")
        if completed_on < today.replace(year=today.year - OLDEST_YEARS, day=min(today.day, 28)):
            raise forms.ValidationError(
                f"The date is more than {OLDEST_YEARS} years ago: activities count within a certification's period."
            )
        return completed_on

    def clean_evidence(self):
        evidence = self.cleaned_data["evidence"]
        if evidence.size > 10 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 10 MB.")
        name = PurePath(evidence.name)
        if name.suffix.lower() not in (".pdf", ".png", ".jpg", ".jpeg") or not name.stem.strip(". "):
            raise forms.ValidationError("Upload a PDF, PNG or JPEG file, with a name before its .pdf, .png or .jpg.")
        return evidence
