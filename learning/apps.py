"""The learning app: catalogue, register, bookings, continuing education and materials."""

from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"

    def ready(self):
        from learning.materials import checks  # noqa: F401  (registers the system checks)
