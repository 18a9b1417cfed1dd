"""The learning app: catalogue, register, bookings, continuing education and materials."""

from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"

    def ready(self):
        from wagtail.signals import page_published

        from learning.materials import checks  # noqa: F401  (registers the system checks)
        from reminders.guideline_notifications import on_page_published

        page_published.connect(on_page_published, dispatch_uid="reminders.guideline_notifications")
