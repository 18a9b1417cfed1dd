"""Fixtures of the booking tests: a course that asks for every kind of result a roster records."""

import pytest

from tests.factories import make_course


@pytest.fixture
def assessed_course(catalogue):
    """ALS2 as its page describes it: full attendance, a written exam (85%), a practical and a scenario assessment."""
    return make_course(
        catalogue,
        "ALS2",
        long_title="ALS2 (Advanced Advanced Life Support)",
        attendance_required=100,
        written_exam_pass_mark=85,
        requires_practical_assessment=True,
        requires_scenario_assessment=True,
    )
