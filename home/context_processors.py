"""Template context shared by every page of the site."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from learning.common.models import portal_settings


def section_urls() -> dict[str, str]:
    """The addresses of the catalogue, the continuing-education listing and the materials library for the menu,
    in one query."""
    from wagtail.models import Page

    from learning.models import ContinuingEducationIndexPage, CourseIndexPage, LibraryIndexPage

    keys = {
        CourseIndexPage: "catalogue",
        ContinuingEducationIndexPage: "continuing_education",
        LibraryIndexPage: "library",
    }
    found = dict.fromkeys(keys.values(), "")
    for page in Page.objects.live().type(*keys):
        key = keys[page.specific_class]
        found[key] = found[key] or page.url
    return found


def portal(request):
    # Lazy: the queries run only for templates that show the menu or the training office's details.
    return {
        "portal_name": settings.PORTAL_NAME,
        "section_urls": SimpleLazyObject(section_urls),
        "office": SimpleLazyObject(lambda: portal_settings(request)),
    }
