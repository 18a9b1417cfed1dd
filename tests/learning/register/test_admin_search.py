"""The admin's search of certifications and participants: the same results as a search of every field at once,
asked column by column so that PostgreSQL's trigram indexes answer it."""

import pytest
from django.db import connection

from learning.common.admin import ids_matching
from learning.models import Certification, User
from tests.conftest import require
from tests.factories import CertificationFactory, UserFactory

pytestmark = pytest.mark.django_db

CERTIFICATION_FIELDS = ["number", "participant__first_name", "participant__last_name", "participant__email"]


def found_by_one_or(text: str) -> set[int]:
    """What Wagtail's own database search finds: one OR of every field, across the join."""
    from django.db.models import Q

    query = Q()
    for field in CERTIFICATION_FIELDS:
        query |= Q(**{f"{field}__icontains": text})
    return set(Certification.objects.filter(query).values_list("pk", flat=True))


@pytest.fixture
def register():
    ada = UserFactory(first_name="Ada", last_name="Okafor", email="ada.okafor@riverside.example")
    ben = UserFactory(first_name="Ben", last_name="Adams", email="ben@elsewhere.example")
    return [
        CertificationFactory(participant=ada, number="ALS1-2025-000101"),
        CertificationFactory(participant=ada, number="ALS2-2026-000102"),
        CertificationFactory(participant=ben, number="ALS1-2025-000ADA"),
        CertificationFactory(participant=UserFactory(first_name="Cy", last_name="Lee"), number="ALS1-2024-000777"),
    ]


@pytest.mark.parametrize("text", ["ada", "ADA", "okafor", "riverside", "2025", "000102", "adams", "nobody", "-"])
def test_the_search_finds_what_one_or_of_every_field_finds(register, text):
    found = set(ids_matching(Certification, CERTIFICATION_FIELDS, text).values_list("pk", flat=True))

    assert found == found_by_one_or(text)


def test_the_certifications_admin_lists_the_matches(admin_client, register):
    html = admin_client.get("/admin/certifications/?q=okafor").content.decode()

    assert "ALS1-2025-000101" in html and "ALS2-2026-000102" in html
    assert "ALS1-2024-000777" not in html


def test_the_participants_admin_lists_the_matches(admin_client, register):
    html = admin_client.get("/admin/participants/?q=RIVERSIDE").content.decode()

    assert "ada.okafor@riverside.example" in html and "ben@elsewhere.example" not in html


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # With a few test rows any scan is cheapest: rule out whole-table walks, to ask what the indexes answer.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_each_table_is_searched_through_its_trigram_indexes():
    require(connection.vendor == "postgresql", "the trigram indexes are PostgreSQL's (DATABASE_URL)")

    explained = plan(ids_matching(Certification, CERTIFICATION_FIELDS, "okafor"))

    assert "certification_number_trgm" in explained
    for column in ("first_name", "last_name", "email"):
        assert f"user_{column}_trgm" in explained
    assert "Seq Scan" not in explained


def test_each_column_is_asked_on_its_own():
    # An OR of one table's columns is priced above a walk of the whole table, which then compares every column
    # of every row (bench/admin_search.py): each column's search is a part of its own.
    sql, _ = ids_matching(Certification, CERTIFICATION_FIELDS, "okafor").query.sql_with_params()

    assert sql.count(" LIKE ") == len(CERTIFICATION_FIELDS)
    assert " OR " not in sql


def test_the_participants_search_uses_every_trigram_index_of_its_table():
    require(connection.vendor == "postgresql", "the trigram indexes are PostgreSQL's (DATABASE_URL)")
    fields = ["email", "first_name", "last_name", "registration_number", "employer"]

    explained = plan(ids_matching(User, fields, "river"))

    assert all(f"user_{column}_trgm" in explained for column in fields)
