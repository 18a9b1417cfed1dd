"""The learning app: catalogue, register, bookings, continuing education and materials."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"

    def ready(self):
        from wagtail.signals import page_published, page_unpublished

        from learning.catalogue.models import CoursePage, CoursePrerequisite
        from learning.catalogue.selectors import forget_builds_on
        from learning.materials import checks  # noqa: F401  (registers the system checks)

        # The cached prerequisite closure goes as soon as a course or its prerequisites change in this process.
        for signal in (page_published, page_unpublished):
            signal.connect(forget_builds_on, sender=CoursePage, dispatch_uid=f"learning.closure.{signal}")
        for signal in (post_save, post_delete):
            signal.connect(forget_builds_on, sender=CoursePrerequisite, dispatch_uid=f"learning.closure.{signal}")
