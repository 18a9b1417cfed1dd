"""Fixtures of the learning tests: the catalogue and the provider's Hugo course pages."""

from pathlib import Path

import pytest
from wagtail.models import PageViewRestriction

from home.models import HomePage
from learning.models import CourseIndexPage, LibraryIndexPage

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
    from tests.factories import make_course

    return make_course(catalogue, "ALS1", booking_url="/book-now/als1/")


@pytest.fixture
def als2(catalogue, als1):
    from tests.factories import make_course

    return make_course(
        catalogue,
        "ALS2",
        prerequisites=[als1],
        written_exam_pass_mark=85,
        attendance_required=100,
        booking_url="/book-now/als2/",
    )


@pytest.fixture
def library(catalogue):
    library = LibraryIndexPage(title="Course materials", slug="materials")
    HomePage.objects.get().add_child(instance=library)
    library.save_revision().publish()
    PageViewRestriction.objects.create(page=library, restriction_type=PageViewRestriction.LOGIN)
    return library
