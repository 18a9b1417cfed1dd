"""Where course pages may be created: one catalogue and one continuing-education index under the home page, courses
only in the catalogue and offers only in their index, and nothing beneath a course or an offer."""

from home.models import HomePage
from learning.models import ContinuingEducationIndexPage, ContinuingEducationOfferPage, CourseIndexPage, CoursePage


def test_the_catalogue_sits_only_under_the_home_page():
    assert CourseIndexPage.allowed_parent_page_models() == [HomePage]


def test_the_catalogue_holds_only_course_pages():
    assert CourseIndexPage.allowed_subpage_models() == [CoursePage]


def test_a_course_page_sits_only_in_the_catalogue():
    assert CoursePage.allowed_parent_page_models() == [CourseIndexPage]


def test_nothing_is_created_under_a_course_page():
    assert CoursePage.allowed_subpage_models() == []


def test_the_continuing_education_index_sits_only_under_the_home_page_and_holds_only_offers():
    assert ContinuingEducationIndexPage.allowed_parent_page_models() == [HomePage]
    assert ContinuingEducationIndexPage.allowed_subpage_models() == [ContinuingEducationOfferPage]


def test_an_offer_sits_only_in_the_continuing_education_index_and_holds_nothing():
    assert ContinuingEducationOfferPage.allowed_parent_page_models() == [ContinuingEducationIndexPage]
    assert ContinuingEducationOfferPage.allowed_subpage_models() == []


def test_the_home_page_offers_each_index_as_a_child():
    children = set(HomePage.allowed_subpage_models())
    assert {CourseIndexPage, ContinuingEducationIndexPage} <= children
    assert CoursePage not in children
