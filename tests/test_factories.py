"""Every model's factory builds a row the model accepts: saved, and valid by the model's own validation; pages are
live under the parent their type allows. (The home page and the portal settings are one row each: a migration makes
the first, `set_portal_settings` changes the second.)"""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

FACTORIES = [
    factories.UserFactory,
    factories.CertificationFactory,
    factories.CourseDateFactory,
    factories.BookingFactory,
    factories.ContinuingEducationActivityFactory,
    factories.ReminderStageFactory,
    factories.ReminderFactory,
    factories.SuppressionFactory,
    factories.PublicCollectionFactory,
    factories.GuidelineNotificationFactory,
    factories.TrackingEventFactory,
    factories.StandardPageFactory,
    factories.CourseIndexPageFactory,
    factories.CoursePageFactory,
    factories.CoursePrerequisiteFactory,
    factories.ContinuingEducationIndexPageFactory,
    factories.ContinuingEducationOfferPageFactory,
    factories.LibraryIndexPageFactory,
    factories.ManualPageFactory,
    factories.CaseStudyPageFactory,
    factories.GuidelineUpdatePageFactory,
    factories.ResourcePageFactory,
    factories.MaterialDocumentFactory,
    factories.OrganisationFactory,
    factories.MembershipFactory,
    factories.ManagerRoleFactory,
    factories.RequiredCourseFactory,
]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda factory: factory.__name__)
def test_the_factory_builds_a_saved_valid_row(factory):
    row = factory()

    row.full_clean()
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda factory: factory.__name__)
def test_the_factory_builds_distinct_rows(factory):
    assert factory().pk != factory().pk


PAGE_FACTORIES = [factory for factory in FACTORIES if issubclass(factory, factories.PageFactory)]


@pytest.mark.parametrize("factory", PAGE_FACTORIES, ids=lambda factory: factory.__name__)
def test_the_page_is_live_under_a_parent_its_type_allows(factory):
    page = factory()

    assert page.live
    assert type(page.get_parent().specific) in type(page).allowed_parent_page_models()


def test_the_portal_settings_are_one_row_however_often_they_change():
    from learning.common.models import PortalSettings

    factories.set_portal_settings(grace_days=10)
    factories.set_portal_settings(grace_days=20)

    assert list(PortalSettings.objects.values_list("grace_days", flat=True)) == [20]
