"""The catalogue in the Wagtail admin, beyond Wagtail's own page editing: courses are not copied."""

from django.contrib import messages
from django.shortcuts import redirect

from learning.catalogue.models import CoursePage

NOT_COPIED = (
    "Courses are not copied or aliased: each has a code of its own, and its dates, bookings and certifications "
    "belong to it. Add a new course page instead."
)


def refuse_copying_courses(request, page):
    """Wagtail's before_copy_page hook (copies and aliases alike): a course, or a page holding courses, is not
    copied; the editor is told why and goes back to where they were."""
    holds_courses = CoursePage.objects.filter(path__startswith=page.path).exists()
    if not holds_courses:
        return None
    messages.error(request, NOT_COPIED)
    return redirect("wagtailadmin_explore", page.get_parent().pk)
