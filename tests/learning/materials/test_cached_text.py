"""A manual's text (its documents and chapters) is rendered once and kept in the cache: never older than the page's
last publication or any document's last change, and only ever shown past the access check."""

import pytest
from django.core.files.base import ContentFile

from learning.models import ManualPage
from tests.factories import UserFactory
from tests.learning.conftest import SECRET_WORD, holding

pytestmark = pytest.mark.django_db


def chapter(text: str) -> list:
    return [{"type": "chapter", "value": {"heading": "Rhythms", "body": [{"type": "text", "value": f"<p>{text}</p>"}]}}]


@pytest.fixture
def reader(client, manual, als1):
    client.force_login(holding(als1))
    assert SECRET_WORD in client.get(manual.url).content.decode()  # now in the cache
    return client


def test_a_published_change_shows_on_the_next_request(reader, manual):
    page = ManualPage.objects.get(pk=manual.pk)
    page.chapters = chapter("Shockable rhythms, revised.")
    page.save_revision().publish()

    html = reader.get(manual.url).content.decode()

    assert "Shockable rhythms, revised." in html and f"{SECRET_WORD} explained." not in html


def test_a_saved_draft_does_not_reach_readers(reader, manual):
    page = ManualPage.objects.get(pk=manual.pk)
    page.chapters = chapter("Not yet approved.")
    page.save_revision()

    html = reader.get(manual.url).content.decode()

    assert "Not yet approved." not in html and f"{SECRET_WORD} explained." in html


def test_a_replaced_document_is_linked_by_its_new_address_on_the_next_request(reader, manual):
    old_url = manual.document.url
    manual.document.file.save("als1-manual-2027.pdf", ContentFile(b"%PDF-1.4\n% the new manual\n"))
    manual.document.save()

    html = reader.get(manual.url).content.decode()

    assert manual.document.url != old_url
    assert manual.document.url in html and old_url not in html


def test_a_deleted_document_is_gone_on_the_next_request(reader, manual):
    url = manual.document.url
    manual.document.delete()

    html = reader.get(manual.url).content.decode()

    assert url not in html and 'data-testid="attachment"' not in html


def test_a_reader_without_access_gets_nothing_of_the_cached_text(reader, client, manual):
    client.force_login(UserFactory())

    response = client.get(manual.url)

    assert response.status_code == 403
    assert SECRET_WORD not in response.content.decode() and manual.document.url not in response.content.decode()


def test_with_the_cache_turned_off_every_request_renders_the_page(client, manual, als1, settings):
    settings.MATERIAL_TEXT_CACHE_SECONDS = 0
    client.force_login(holding(als1))
    assert SECRET_WORD in client.get(manual.url).content.decode()
    ManualPage.objects.filter(pk=manual.pk).update(chapters=chapter("Changed without publishing."))

    assert "Changed without publishing." in client.get(manual.url).content.decode()


def test_an_editors_preview_shows_the_draft_not_the_cached_text(reader, manual):
    from django.contrib.auth.models import Group
    from django.test import Client

    from tests.admin_forms import page_edit_form_data

    draft = ManualPage.objects.get(pk=manual.pk)
    draft.chapters = chapter("Draft wording for review.")
    draft.save_revision()
    moderator = UserFactory()
    moderator.groups.add(Group.objects.get(name="Moderators"))
    editor = Client()
    editor.force_login(moderator)
    preview_url = f"/admin/pages/{manual.pk}/edit/preview/"

    assert editor.post(preview_url, page_edit_form_data(editor, manual, {"chapters": draft.chapters})).json()[
        "is_valid"
    ]
    preview = editor.get(preview_url).content.decode()

    assert "Draft wording for review." in preview and "For ALS1 ·" in preview
    assert "Draft wording for review." not in reader.get(manual.url).content.decode()
