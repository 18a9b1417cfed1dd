"""Every model's factory builds a row the model accepts: saved, and valid by the model's own validation."""

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
]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda factory: factory.__name__)
def test_the_factory_builds_a_saved_valid_row(factory):
    row = factory()

    row.full_clean()
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda factory: factory.__name__)
def test_the_factory_builds_distinct_rows(factory):
    assert factory().pk != factory().pk
