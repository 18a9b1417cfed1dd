"""What the access check reads from the database, in one statement: the page's courses, the reader's
certifications and bookings, the grace period, whether the reader opened the page since it was last published, and
whether a Privacy setting (a view restriction) other than "signed-in users" stands on the page or above it, or
above the page an alias copies (every reader the check is asked about is signed in).

The check runs on every request for a material page, its documents and its images, so it is written as SQL rather
than composed with the ORM: composing and compiling the four querysets it replaces cost more than running them.
The rule itself stays in learning.materials.entitlement; `Certification.objects.valid_on` is the same rule in the
ORM, and tests/learning/materials/test_access_facts.py holds the two to the same answers on random records.
"""

import datetime
import functools
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import connection
from wagtail.models import PageViewRestriction

from learning.bookings.models import Booking

# Six kinds of row, one query: (kind, course or number, course code, expiry). The columns are cast to types no
# migration changes (a wider integer, text of any length): PostgreSQL refuses to run a prepared statement
# (bound_cursor) whose result types changed since it was prepared.
SQL = """
SELECT 'serves', CAST(course.page_ptr_id AS bigint), CAST(course.code AS text), NULL
  FROM {served} served JOIN {course} course ON course.page_ptr_id = served.coursepage_id
 WHERE served.materialpage_id = %(page)s
UNION ALL
SELECT 'held', CAST(certification.course_id AS bigint), NULL, certification.expires_on
  FROM {certification} certification
 WHERE certification.participant_id = %(user)s AND certification.revoked_at IS NULL
   AND certification.issued_on <= %(today)s
UNION ALL
SELECT 'booked', CAST(course_date.course_id AS bigint), NULL, NULL
  FROM {booking} booking JOIN {course_date} course_date ON course_date.id = booking.course_date_id
 WHERE booking.participant_id = %(user)s AND booking.status = %(confirmed)s AND course_date.ends_on >= %(today)s
UNION ALL
SELECT 'grace', CAST(portal.grace_days AS bigint), NULL, NULL
  FROM {portal} portal WHERE portal.id = (SELECT MIN(first.id) FROM {portal} first)
UNION ALL
SELECT 'opened', NULL, NULL, NULL
  FROM {reading} reading
 WHERE reading.page_id = %(page)s AND reading.participant_id = %(user)s AND reading.read_at >= %(published)s
UNION ALL
SELECT 'restricted', NULL, NULL, NULL
  FROM {restriction} restriction
  JOIN {page} restricted ON restricted.id = restriction.page_id
  JOIN {page} shown ON shown.id = %(page)s OR shown.id = %(alias_of)s
 WHERE substr(shown.path, 1, length(restricted.path)) = restricted.path AND restriction.restriction_type <> %(login)s
"""


@functools.cache
def statement() -> str:
    """The SQL with the tables' names as the models give them (read once, when the models are ready)."""
    table = lambda name: connection.ops.quote_name(apps.get_model("learning", name)._meta.db_table)  # noqa: E731
    served = apps.get_model("learning", "MaterialPage").courses.through._meta.db_table
    return SQL.format(
        served=connection.ops.quote_name(served),
        course=table("CoursePage"),
        certification=table("Certification"),
        booking=table("Booking"),
        course_date=table("CourseDate"),
        portal=table("PortalSettings"),
        reading=table("MaterialReading"),
        restriction=connection.ops.quote_name(apps.get_model("wagtailcore", "PageViewRestriction")._meta.db_table),
        page=connection.ops.quote_name(apps.get_model("wagtailcore", "Page")._meta.db_table),
    )


@dataclass
class Facts:
    """What the database said: the page's courses {id: code}, the courses held (with their expiry) and booked,
    the grace period, whether the reader opened the page since its last publication, and whether a Privacy setting
    stands over the page (its restrictions are then read and asked: learning.materials.entitlement.admitted)."""

    serves: dict[int, str] = field(default_factory=dict)
    held: list[tuple[int, datetime.date]] = field(default_factory=list)
    booked: set[int] = field(default_factory=set)
    grace_days: int | None = None
    opened: bool = False
    restricted: bool = False

    def held_on(self, today: datetime.date) -> set[int]:
        """The courses of the certifications valid on `today`, their expiry extended by the grace period (the
        portal settings' value, or the environment's while no one has saved the settings)."""
        grace = self.grace_days if self.grace_days is not None else settings.MATERIALS_GRACE_DAYS
        oldest = today - datetime.timedelta(days=grace)
        return {course_id for course_id, expires_on in self.held if expires_on >= oldest}


def read_facts(user_id: int, today: datetime.date, page=None) -> Facts:
    """One statement for `user_id` on `today`, and for `page` (a live material page) when given."""
    params = {
        "page": page.pk if page is not None else None,
        "alias_of": page.alias_of_id if page is not None else None,
        "user": user_id,
        "today": connection.ops.adapt_datefield_value(today),
        "confirmed": Booking.CONFIRMED,
        "login": PageViewRestriction.LOGIN,
        "published": connection.ops.adapt_datetimefield_value(page.last_published_at if page is not None else None),
    }
    facts = Facts()
    with bound_cursor() as cursor:
        cursor.execute(statement(), params)
        for kind, number, code, expires_on in cursor.fetchall():
            if kind == "serves":
                facts.serves[number] = code
            elif kind == "held":
                facts.held.append((number, as_date(expires_on)))
            elif kind == "booked":
                facts.booked.add(number)
            elif kind == "grace":
                facts.grace_days = number
            elif kind == "opened":
                facts.opened = True
            else:
                facts.restricted = True
    return facts


def bound_cursor():
    """A cursor whose parameters the database binds, on PostgreSQL (Django's cursors merge them into the SQL
    text): psycopg then prepares a statement that the connection runs again and again (from the fifth time), so
    that PostgreSQL plans the access statement once per connection instead of on every request. Planning is most
    of the statement's cost (0.3 of 0.4 ms). Queries are logged as with any of Django's cursors."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    # Imported here: the backend's module is PostgreSQL's, and the embedded default runs on SQLite.
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = ServerBindingCursor(connection.connection)
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)


def as_date(value) -> datetime.date:
    """A date as the database driver returns it (SQLite's driver gives the ISO text)."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
