"""Template context shared by every page of the site."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def catalogue_url():
    from learning.models import CourseIndexPage

    catalogue = CourseIndexPage.objects.live().only("url_path").first()
    return catalogue.url if catalogue else ""


def portal(request):
    # Lazy: the query runs only for templates that show the link.
    return {"portal_name": settings.PORTAL_NAME, "catalogue_url": SimpleLazyObject(catalogue_url)}
