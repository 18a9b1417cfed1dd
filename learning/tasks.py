"""Celery tasks of the learning app: each takes ids and calls one function. (The guideline-update emails are sent
by reminders.tasks, which owns email to participants.)"""

from learning.accounts.tasks import send_invitation_task
from learning.bookings.tasks import send_booking_email_task, send_result_email_task
from learning.register.tasks import import_certifications_task

__all__ = ["import_certifications_task", "send_booking_email_task", "send_invitation_task", "send_result_email_task"]
