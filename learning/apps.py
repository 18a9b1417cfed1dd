"""The learning app: catalogue, register, bookings, continuing education and materials."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"

    def ready(self):
        from wagtail.documents import get_document_model
        from wagtail.signals import page_published, page_unpublished

        from learning.bookings.services import on_course_published
        from learning.bookings.signals import place_changed
        from learning.catalogue.models import CoursePage, CoursePrerequisite
        from learning.catalogue.selectors import forget_builds_on
        from learning.materials import checks  # noqa: F401  (registers the system checks)
        from learning.materials.cached_text import documents_changed
        from learning.organisations.services import on_place_changed

        # The cached prerequisite closure goes as soon as a course or its prerequisites change in this process.
        for signal in (page_published, page_unpublished):
            signal.connect(forget_builds_on, sender=CoursePage, dispatch_uid=f"learning.closure.{signal}")
        for signal in (post_save, post_delete):
            signal.connect(forget_builds_on, sender=CoursePrerequisite, dispatch_uid=f"learning.closure.{signal}")
        # A course published with more participants per instructor gives its dates' new seats to their waiting lists.
        page_published.connect(on_course_published, sender=CoursePage, dispatch_uid="learning.waiting_lists")
        # The payer of a place a manager booked hears of each change to it.
        place_changed.connect(on_place_changed, dispatch_uid="learning.organisations.place_changed")
        # A manual's cached text lists its documents: any change to a document makes every such text stale.
        for signal in (post_save, post_delete):
            signal.connect(documents_changed, sender=get_document_model(), dispatch_uid=f"learning.documents.{signal}")
