"""One public address: Wagtail's site, the sitemap and the portal's own links all follow PORTAL_BASE_URL."""

import pytest
from django.core.management import call_command
from wagtail.models import Site

from home.site import align_default_site, site_address

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("base_url", "address"),
    [
        ("https://training.example.org", ("training.example.org", 443)),
        ("http://localhost:8000", ("localhost", 8000)),
        ("http://portal.example.org", ("portal.example.org", 80)),
        ("https://training.example.org:8443/", ("training.example.org", 8443)),
    ],
)
def test_the_site_address_is_read_from_the_base_url(base_url, address):
    assert site_address(base_url) == address


def test_migrate_leaves_the_default_site_at_the_configured_address(settings):
    settings.PORTAL_BASE_URL = "https://training.example.org"
    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=80)

    call_command("migrate", verbosity=0)

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.root_url) == ("training.example.org", 443, "https://training.example.org")


def test_aligning_twice_changes_nothing_the_second_time(settings):
    settings.PORTAL_BASE_URL = "https://training.example.org"

    align_default_site()

    assert align_default_site() is False


def test_the_sitemap_names_the_public_address(client, settings):
    settings.PORTAL_BASE_URL = "https://training.example.org"
    settings.ALLOWED_HOSTS = ["training.example.org", "testserver"]
    align_default_site()

    sitemap = client.get("/sitemap.xml", HTTP_HOST="training.example.org", secure=True).content.decode()

    assert "<loc>https://training.example.org/</loc>" in sitemap
    assert "localhost" not in sitemap
