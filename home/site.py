"""One public address: Wagtail's default Site follows PORTAL_BASE_URL, so that the sitemap, page links in admin
and moderation emails, and everything the portal itself builds from PORTAL_BASE_URL (emails, calendar files, the
card's QR code) name the same host."""

from urllib.parse import urlsplit

from django.conf import settings


def site_address(base_url: str) -> tuple[str, int]:
    """(hostname, port) of an address such as https://training.example.org or http://localhost:8000."""
    parts = urlsplit(base_url)
    return parts.hostname or "localhost", parts.port or (443 if parts.scheme == "https" else 80)


def align_default_site(*, base_url: str | None = None) -> bool:
    """Points the default Site at `base_url` (PORTAL_BASE_URL unless given); True if it changed anything."""
    from wagtail.models import Site

    hostname, port = site_address(base_url or settings.PORTAL_BASE_URL)
    return bool(
        Site.objects.filter(is_default_site=True)
        .exclude(hostname=hostname, port=port)
        .update(hostname=hostname, port=port)
    )


def align_after_migrate(sender, using="default", **kwargs):
    """Every `migrate` (so every deployment) leaves the default Site at the configured public address."""
    from wagtail.models import Site

    if Site.objects.using(using).exists():
        align_default_site()
