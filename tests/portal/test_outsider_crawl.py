"""The portal as an outsider sees it: with the demo content loaded, an anonymous visitor and a signed-in person with
no certification follow every link from the home page, the sitemap and search, and request every document and image
of the demo in every spelling an attacker would try. Nothing private may come back."""

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from learning.models import CaseStudyPage, GuidelineUpdatePage, ManualPage, MaterialPage
from tests.factories import UserFactory
from tests.spellings import document_spellings, image_spellings

pytestmark = pytest.mark.django_db

LINK = re.compile(r"""(?:href|src|action)\s*=\s*["']([^"'#]+)""", re.IGNORECASE)
LOC = re.compile(r"<loc>([^<]+)</loc>")
# Signing out would end the signed-in outsider's visit; the admin is for staff and tried separately.
NOT_FOLLOWED = ("/accounts/logout/", "/static/")
CRAWL_LIMIT = 400


@pytest.fixture
def demo(db, capsys):
    call_command("load_demo")
    capsys.readouterr()
    # An upload an editor forgot: in the default collection, attached to nothing.
    stray = get_document_model()(title="Draft exam answers", collection=Collection.get_first_root_node())
    stray.file.save("exam-answers.pdf", ContentFile(b"%PDF-1.4\n% exam answers\n"))


def local_path(url: str, base: str) -> str | None:
    """The site path of a link, or None for a link elsewhere."""
    absolute = urljoin(base, url.strip())
    parts = urlsplit(absolute)
    ours = {"testserver", "localhost", "127.0.0.1", urlsplit(settings.PORTAL_BASE_URL).hostname}
    if parts.scheme not in ("http", "https") or parts.hostname not in ours:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def crawl(client, starts: list[str]) -> dict[str, tuple[int, bytes]]:
    """Breadth-first over the site's own links from `starts`: path -> (status, body)."""
    seen: dict[str, tuple[int, bytes]] = {}
    queue = deque(starts)
    while queue and len(seen) < CRAWL_LIMIT:
        path = queue.popleft()
        if path in seen or path.startswith(NOT_FOLLOWED):
            continue
        response = client.get(path)
        body = body_of(response)
        seen[path] = (response.status_code, body)
        if response.status_code in (301, 302):
            target = local_path(response["Location"], "http://testserver" + path)
            if target:
                queue.append(target)
            continue
        text = body.decode("utf-8", "replace")
        for link in [*LINK.findall(text), *LOC.findall(text)]:
            target = local_path(link, "http://testserver" + path)
            if target and target not in seen:
                queue.append(target)
    return seen


def private_things():
    """What must never reach an outsider: each material's text, and the bytes of private files."""
    texts = []
    for page in MaterialPage.objects.specific():
        texts.append(page.summary)
        if isinstance(page, CaseStudyPage):
            texts.append(re.sub("<[^>]+>", "", page.debrief)[:60])
        if isinstance(page, GuidelineUpdatePage):
            texts.append(re.sub("<[^>]+>", "", page.what_changed)[:60])
    files = []
    for document in get_document_model().objects.all():
        if document.collection.name != "Public downloads":
            with document.file.open("rb") as handle:
                files.append(handle.read())
    for image in get_image_model().objects.all():
        with image.file.open("rb") as handle:
            files.append(handle.read())
        for size in ("width-400", "width-800", "width-1200"):
            with image.get_rendition(size).file.open("rb") as handle:
                files.append(handle.read())
    return [text.encode() for text in texts if text.strip()], files


def search_words() -> list[str]:
    words = set()
    for page in MaterialPage.objects.all():
        words.update(word for word in re.findall(r"[A-Za-z]{5,}", f"{page.title} {page.summary}"))
    return sorted(words)[:40]


def assert_nothing_private(responses, texts, files, material_urls):
    for path, (status, body) in responses.items():
        if status != 200:
            continue
        for text in texts:
            assert text not in body, f"{path} shows private text {text[:40]!r}"
        leaked = any(content in body for content in files)
        assert not leaked, f"{path} serves a private file"
        html = body.decode("utf-8", "replace")
        for url in material_urls:
            assert f'href="{url}"' not in html, f"{path} links to the material page {url}"


@pytest.mark.parametrize("reader", ["anonymous", "signed in without a certification"])
def test_an_outsider_finds_nothing_private(client, demo, reader):
    if reader != "anonymous":
        client.force_login(UserFactory(email="curious@example.org"))
    texts, files = private_things()
    material_urls = [page.url for page in MaterialPage.objects.all()]
    documents = list(get_document_model().objects.all())
    images = list(get_image_model().objects.all())
    manuals = {page.pk: page.specific for page in ManualPage.objects.all()}
    starts = [
        "/",
        "/sitemap.xml",
        "/search/?q=ALS",
        *(f"/search/?q={word}" for word in search_words()),
        *material_urls,
        *(url for document in documents for url in document_spellings(document)),
        *(url for page_id in manuals for image in images for url in image_spellings(page_id, image)),
    ]

    responses = crawl(client, starts)

    assert len(responses) > 100  # it really crawled: the catalogue, the course pages, search, every spelling
    public = get_document_model().objects.get(collection__name="Public downloads")
    assert responses[public.url][0] == 200  # the one public document is served: the check can see a download
    assert_nothing_private(responses, texts, files, material_urls)


def test_a_reader_entitled_to_the_materials_gets_them_through_the_same_addresses(client, demo):
    """The other side of the crawl: the same check sees private things when they are there to be seen."""
    from learning.models import User

    client.force_login(User.objects.get(email="editor@example.com"))
    _, files = private_things()
    manual = ManualPage.objects.first()

    responses = crawl(client, [manual.url, manual.attachments.first().document.url])

    bodies = b"".join(body for status, body in responses.values() if status == 200)
    assert manual.summary.encode() in bodies
    assert any(content in bodies for content in files)
