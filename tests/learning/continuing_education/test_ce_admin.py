"""The training office reviews a continuing-education activity on a page that only shows it."""

import pytest

from tests.factories import ContinuingEducationActivityFactory

pytestmark = pytest.mark.django_db


def test_an_activity_can_be_inspected_without_opening_its_form(admin_client):
    activity = ContinuingEducationActivityFactory(title="Sepsis study day")

    response = admin_client.get(f"/admin/continuing_education/inspect/{activity.pk}/")

    assert response.status_code == 200
    assert "Sepsis study day" in response.content.decode()
