"""Fixtures of the organisation tests: a trust with two departments, and an organisation elsewhere."""

import pytest

from tests.factories import OrganisationFactory


@pytest.fixture
def trust(db):
    return OrganisationFactory(name="Riverside Hospitals NHS Trust")


@pytest.fixture
def emergency(trust):
    return OrganisationFactory(name="Emergency Department", parent=trust)


@pytest.fixture
def critical_care(trust):
    return OrganisationFactory(name="Critical Care Unit", parent=trust)


@pytest.fixture
def elsewhere(db):
    return OrganisationFactory(name="Hilltop Ambulance Service")
