"""Documents: one gate (Wagtail's before_serve_document hook), deny by default. A document is public only in a
collection an editor marked public; attached to material pages it is for their readers; anything else is for staff.
No URL spelling and no serve method goes around the gate."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import Collection

from learning.materials.checks import documents_are_served_through_the_gate
from learning.models import MaterialDocument, PublicCollection
from tests.factories import UserFactory
from tests.learning.conftest import holding
from tests.spellings import document_spellings, image_spellings

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% private course material\n"


def upload(title="Handout", collection=None, name="handout.pdf"):
    """A PDF as an editor uploads it: into the default (root) collection unless told otherwise."""
    document = get_document_model()(title=title, collection=collection or Collection.get_first_root_node())
    document.file.save(name, ContentFile(PDF))
    return document


def staff():
    person = UserFactory()
    person.groups.add(Group.objects.get(name="Editors"))
    return person


def outcome_for(client, person, url):
    """ "served", "sign-in" or the refusal's status code, after following any redirect but the one to sign in."""
    client.logout()
    if person is not None:
        client.force_login(person)
    for _ in range(5):
        response = client.get(url)
        if response.status_code not in (301, 302):
            break
        if response.url.startswith(("/accounts/login/", "/admin/login/")):
            return "sign-in"
        url = response.url
    return "served" if response.status_code == 200 else response.status_code


def test_a_pdf_attached_to_a_page_only_in_a_draft_is_private(client, manual, als1):
    document = upload()
    manual.attachments.add(MaterialDocument(document=document))
    manual.save_revision()  # a draft: the live page still has only its own PDF

    assert outcome_for(client, None, document.url) == "sign-in"
    assert outcome_for(client, UserFactory(), document.url) == 403
    assert outcome_for(client, holding(als1), document.url) == 403  # the live page does not offer it yet
    assert outcome_for(client, staff(), document.url) == "served"


def test_a_pdf_removed_from_its_page_is_private(client, manual, als1):
    document = manual.document
    manual.attachments.clear()
    manual.save_revision().publish()

    assert outcome_for(client, None, document.url) == "sign-in"
    assert outcome_for(client, holding(als1), document.url) == 403
    assert outcome_for(client, staff(), document.url) == "served"


def test_a_pdf_in_no_page_and_no_public_collection_is_for_staff_only(client, db):
    document = upload()

    assert outcome_for(client, None, document.url) == "sign-in"
    assert outcome_for(client, UserFactory(), document.url) == 403
    assert outcome_for(client, staff(), document.url) == "served"


def test_an_attached_pdf_stays_private_in_a_public_collection(client, manual, als1):
    public = Collection.get_first_root_node().add_child(name="Public downloads")
    PublicCollection.objects.create(collection=public)
    manual.document.collection = public
    manual.document.save()

    assert outcome_for(client, None, manual.document.url) == "sign-in"
    assert outcome_for(client, holding(als1), manual.document.url) == "served"


def test_a_served_private_pdf_is_never_cached(client, manual, als1):
    client.force_login(holding(als1))

    response = client.get(manual.document.url)

    assert response.status_code == 200
    assert {"private", "no-store"} <= {part.strip() for part in response.headers["Cache-Control"].split(",")}


@pytest.mark.parametrize("method", ["redirect", "direct"])
def test_the_redirect_and_direct_serve_methods_pass_the_gate_too(client, manual, settings, method):
    settings.WAGTAILDOCS_SERVE_METHOD = method
    view_url = reverse("wagtaildocs_serve", args=[manual.document.pk, manual.document.filename])

    assert outcome_for(client, None, view_url) == "sign-in"
    assert outcome_for(client, UserFactory(), view_url) == 403
    assert outcome_for(client, None, manual.document.file.url) == 404  # storage is never served


@pytest.mark.parametrize("method", ["redirect", "direct", None])
def test_the_portal_refuses_a_serve_method_that_could_bypass_the_gate(settings, method):
    settings.WAGTAILDOCS_SERVE_METHOD = method

    errors = documents_are_served_through_the_gate()

    assert [error.id for error in errors] == ["learning.E001"]


def test_the_configured_serve_method_passes_the_check():
    assert documents_are_served_through_the_gate() == []


@pytest.mark.parametrize("reader", ["anonymous", "signed in without a certification"])
def test_no_spelling_of_a_private_document_address_serves_it(client, manual, reader):
    person = None if reader == "anonymous" else UserFactory()

    for url in document_spellings(manual.document):
        outcome = outcome_for(client, person, url)
        assert outcome != "served", url
        assert outcome in {"sign-in", 400, 403, 404}, (url, outcome)  # 400: a NUL in the address


def test_the_editor_sees_which_rule_applies_on_the_document(admin_client, manual):
    loose = upload(title="Loose handout", name="loose.pdf")

    attached_page = admin_client.get(f"/admin/documents/edit/{manual.document.pk}/").content.decode()
    loose_page = admin_client.get(f"/admin/documents/edit/{loose.pk}/").content.decode()

    assert "Private: attached to course materials (“ALS1 manual”)" in attached_page
    assert "Private: not in a public collection and attached to no material page" in loose_page


def test_a_refusal_carries_nothing_of_the_page_but_its_title_and_courses(client, manual):
    manual.seo_title = "Zanzibarian seo title"
    manual.search_description = "Quixotic search description"
    manual.save_revision().publish()
    client.force_login(UserFactory())

    html = client.get(manual.url).content.decode()

    assert "ALS1 manual" in html and "ALS1" in html
    assert "Zanzibarian" not in html and "Quixotic" not in html
    assert '<meta name="description"' not in html


@pytest.mark.parametrize("reader", ["anonymous", "signed in without a certification"])
def test_no_spelling_of_a_private_image_address_serves_it(client, manual, reader):
    person = None if reader == "anonymous" else UserFactory()

    for url in image_spellings(manual.pk, manual.image):
        outcome = outcome_for(client, person, url)
        assert outcome != "served", url
        assert outcome in {"sign-in", 400, 403, 404}, (url, outcome)  # 400: a NUL in the address
