"""Template context shared by every page of the site."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def catalogue_url():
    from learning.models import CourseIndexPage

    catalogue = CourseIndexPage.objects.live().only("url_path").first()
    return catalogue.url if catalogue else ""


def library_url():
    from learning.models import LibraryIndexPage

    library = LibraryIndexPage.objects.live().only("url_path").first()
    return library.url if library else ""


def portal(request):
    # Lazy: each query runs only for templates that show the link.
    return {
        "portal_name": settings.PORTAL_NAME,
        "catalogue_url": SimpleLazyObject(catalogue_url),
        "library_url": SimpleLazyObject(library_url),
    }
