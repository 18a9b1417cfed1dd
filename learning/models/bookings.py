"""Kept because migration 0004 names `learning.models.bookings.evidence_path`; the models live in their packages."""

from learning.continuing_education.models import evidence_path

__all__ = ["evidence_path"]
