"""System checks that keep the portal's gates in place whatever the settings say."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def documents_are_served_through_the_gate(app_configs=None, **kwargs):
    """With "direct", Wagtail links documents straight to the storage's URL, which no entitlement check guards, and
    "redirect" hands the reader that URL; only "serve_view" keeps every download behind before_serve_document."""
    method = getattr(settings, "WAGTAILDOCS_SERVE_METHOD", None)
    if method == "serve_view":
        return []
    return [
        Error(
            f"WAGTAILDOCS_SERVE_METHOD is {method!r}: documents must be served by Wagtail's view, so that the "
            "entitlement check decides every download.",
            hint='Set WAGTAILDOCS_SERVE_METHOD = "serve_view".',
            id="learning.E001",
        )
    ]
