"""Fixtures of the learning tests: the catalogue (and one for tests that book from several threads), the provider's
Hugo course pages, an editor signed in, the library and a manual with a PDF and a figure."""

import datetime
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, PageViewRestriction

from home.models import HomePage
from learning.models import CourseIndexPage, LibraryIndexPage, ManualPage, MaterialDocument
from learning.register.services import add_months, certification_revoke
from tests.factories import CertificationFactory, UserFactory, make_course

HUGO_DIR = Path(__file__).resolve().parents[2] / "home" / "demo" / "hugo"
ALS1_MD = HUGO_DIR / "als1.md"
ALS2_MD = HUGO_DIR / "als2.md"


@pytest.fixture
def catalogue(db):
    home = HomePage.objects.get()
    page = CourseIndexPage(title="Courses", slug="courses")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def als1(catalogue):
    return make_course(catalogue, "ALS1", booking_url="/book-now/als1/")


@pytest.fixture
def als2(catalogue, als1):
    return make_course(
        catalogue,
        "ALS2",
        prerequisites=[als1],
        written_exam_pass_mark=85,
        attendance_required=100,
        booking_url="/book-now/als2/",
    )


@pytest.fixture
def editor_client(client):
    """A client signed in as an editor who may publish course pages."""
    # Wagtail's Moderators may publish; its Editors submit for moderation (see the materials workflow).
    editor = UserFactory(email="moderator@example.org")
    editor.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(editor)
    return client


@pytest.fixture
def library(catalogue):
    library = LibraryIndexPage(title="Course materials", slug="materials")
    HomePage.objects.get().add_child(instance=library)
    library.save_revision().publish()
    PageViewRestriction.objects.create(page=library, restriction_type=PageViewRestriction.LOGIN)
    return library


SECRET_WORD = "Zephyrocardiology"


def today():
    return timezone.localdate()


def holding(course, *, expired_days_ago=None, revoked=False, **user_fields):
    person = UserFactory(**user_fields)
    expires_on = (
        today() + datetime.timedelta(days=300)
        if expired_days_ago is None
        else (today() - datetime.timedelta(days=expired_days_ago))
    )
    certification = CertificationFactory(
        participant=person, course=course, issued_on=add_months(expires_on, -24), expires_on=expires_on
    )
    if revoked:
        certification_revoke(certification=certification, reason="Misconduct")
    return person


@pytest.fixture
def collection(db):
    return Collection.get_first_root_node().add_child(name="Course materials")


@pytest.fixture
def manual(library, collection, als1, als2):
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    image = get_image_model().objects.create(
        title="ECG strip", collection=collection, file=ImageFile(io.BytesIO(buffer.getvalue()), name="ecg.png")
    )
    page = ManualPage(
        title="ALS1 manual",
        summary=f"About {SECRET_WORD} and more.",
        chapters=[
            {
                "type": "chapter",
                "value": {
                    "heading": "Rhythms",
                    "body": [
                        {"type": "text", "value": f"<p>{SECRET_WORD} explained.</p>"},
                        {"type": "figure", "value": {"image": image.pk, "caption": "A rhythm strip"}},
                    ],
                },
            },
        ],
    )
    library.add_child(instance=page)
    page.courses.set([als1])
    document = get_document_model()(title="ALS1 manual PDF", collection=collection)
    document.file.save("als1-manual.pdf", ContentFile(b"%PDF-1.4\n% the manual\n"))
    page.attachments = [MaterialDocument(document=document)]
    page.save_revision().publish()
    page = ManualPage.objects.get(pk=page.pk)
    page.document, page.image = document, image
    return page


@pytest.fixture
def catalogue_for_threads(committed_db):
    """ALS1 in a catalogue whose writes other connections see, for the tests that book from several threads."""
    catalogue = CourseIndexPage(title="Courses", slug="courses")
    HomePage.objects.get().add_child(instance=catalogue)
    return make_course(catalogue, "ALS1")
