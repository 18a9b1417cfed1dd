"""Where materials may be created: one library under the home page, the four kinds of material only inside it,
never the abstract material page itself, and nothing beneath a material."""

import pytest

from home.models import HomePage
from learning.models import CaseStudyPage, GuidelineUpdatePage, LibraryIndexPage, ManualPage, MaterialPage, ResourcePage

MATERIALS = [ManualPage, CaseStudyPage, GuidelineUpdatePage, ResourcePage]


def test_the_library_sits_only_under_the_home_page():
    assert LibraryIndexPage.allowed_parent_page_models() == [HomePage]


def test_the_library_holds_the_four_kinds_of_material():
    assert set(LibraryIndexPage.allowed_subpage_models()) == set(MATERIALS)


def test_the_plain_material_page_cannot_be_created():
    assert MaterialPage not in LibraryIndexPage.creatable_subpage_models()


@pytest.mark.parametrize("material", MATERIALS, ids=lambda model: model.__name__)
def test_a_material_sits_only_in_the_library(material):
    assert material.allowed_parent_page_models() == [LibraryIndexPage]


@pytest.mark.parametrize("material", MATERIALS, ids=lambda model: model.__name__)
def test_nothing_is_created_under_a_material(material):
    assert material.allowed_subpage_models() == []


def test_no_material_can_be_created_directly_under_the_home_page():
    assert not set(MATERIALS) & set(HomePage.allowed_subpage_models())
