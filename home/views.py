"""The public site's fixed pages: how to reach the training office."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from learning.common.models import portal_settings


@require_GET
def contact(request):
    """The training office's details, as administrators keep them in Settings > Portal settings."""
    return render(request, "home/contact.html", {"office": portal_settings(request)})
