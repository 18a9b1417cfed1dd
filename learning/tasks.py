"""Celery tasks of the learning app: each takes ids and calls one function. The worker finds tasks in this module
only (Celery's autodiscovery), so every package's tasks.py is imported here. (The guideline-update emails are sent
by reminders.tasks.)"""

from learning.accounts.tasks import send_invitation_task
from learning.bookings.tasks import send_booking_email_task, send_result_email_task
from learning.continuing_education.tasks import send_ce_decision_task
from learning.organisations.tasks import import_members_task, send_member_left_task, send_place_changed_task
from learning.register.tasks import import_certifications_task

__all__ = [
    "import_certifications_task",
    "import_members_task",
    "send_booking_email_task",
    "send_ce_decision_task",
    "send_invitation_task",
    "send_member_left_task",
    "send_place_changed_task",
    "send_result_email_task",
]
