"""The register's tables carry only indexes a query uses: every row an import writes pays for each of them."""

import pytest
from django.db import connection

from tests.conftest import require

pytestmark = pytest.mark.django_db


def index_definitions(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


@pytest.mark.parametrize("table", ["learning_certification", "learning_user"])
def test_no_prefix_pattern_copies_of_text_columns(table):
    require(connection.vendor == "postgresql", "pattern-ops copies are PostgreSQL's (DATABASE_URL)")

    definitions = index_definitions(table)

    assert definitions  # the table is there, and indexed
    assert [name for name, definition in definitions.items() if "varchar_pattern_ops" in definition] == []


def test_certifications_are_found_by_holder_and_course_through_the_scans_index():
    require(connection.vendor == "postgresql", "the indexes are PostgreSQL's (DATABASE_URL)")

    definitions = index_definitions("learning_certification")

    assert "certification_holder_course" not in definitions
    assert "(participant_id, course_id, expires_on)" in definitions["certification_newer_lookup"]
