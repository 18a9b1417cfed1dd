"""The certification import has two ways of running: set-based on PostgreSQL (learning.register.
certification_import_postgres) and row by row in Python batches, which SQLite keeps. On PostgreSQL both can run, so
the same awkward file, with every kind of rejection, goes through each from the same register: the reports (lines,
columns, reasons, values, counts) and the registers they leave (certifications, participants, the reminder scan's
marks) must be the same. The file's dates follow `today`, so that the comparison holds whatever the clock says."""

import datetime
from functools import partial

import pytest
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from learning.common.csv_import import ImportRefused, check_and_write_in_batches, run_import
from learning.models import Certification, User
from learning.register import certification_import_postgres
from learning.register.certification_import import CertificationImport
from reminders.models import Recheck
from tests.conftest import require
from tests.factories import CertificationFactory, UserFactory, local_today

pytestmark = pytest.mark.django_db
HEADER = "email,first_name,last_name,course_code,number,issued_on,expires_on\n"
TOO_LONG_EMAIL = f"{'a' * 64}@{('b' * 60 + '.') * 4}org"


class RowByRow(CertificationImport):
    """The certification import as SQLite runs it, here on PostgreSQL."""

    check_and_write = classmethod(check_and_write_in_batches)


def day_text(today: datetime.date, days: int, style: str = "%Y-%m-%d") -> str:
    return (today + datetime.timedelta(days=days)).strftime(style)


def awkward_rows(today: datetime.date) -> str:
    """Good rows, and rows refused for every reason there is: on their own, against the file's earlier lines
    (tangled too) and against the register that `held_register` builds. A comment names what each row is."""
    return HEADER + "\n".join(rows_on_their_own(today) + rows_against_others(today)) + "\n"


def rows_on_their_own(today: datetime.date) -> list[str]:
    """Lines 2 to 22: good rows, and rows refused for what they hold themselves."""
    iso, dmy = partial(day_text, today), partial(day_text, today, style="%d/%m/%Y")
    return [
        f"ann@example.org,Ann,Lee,ALS1,ALS1-ANN-0001,{iso(-300)},",  # 2: created, and Ann created
        f"bob@example.org,Bob,Ray,ALS2,ALS2-BOB-0001,{dmy(-200)},{iso(500)}",  # 3: created
        f"ann@example.org,ANN, lee ,ALS2,ALS2-ANN-0002,{iso(-100)},",  # 4: the same name in other case and spacing
        f"Mia@example.org,mia,NG,ALS1,als1-mia-0001,{iso(-700)},{iso(30)}",  # 5: held as it is: unchanged
        f"mia@example.org,Mia,Ng,ALS1,ALS1-MIA-0002,{iso(-50)},",  # 6: held with other dates: updated
        f"cat@example.org,Cat,Fox,XYZ9,X-001,{iso(-10)},",  # 7: unknown course
        "cat@example.org,Cat,Fox,ALS1,ALS1-CAT-0002,2025-02-30,",  # 8: not a date
        f"cat@example.org,Cat,Fox,ALS1,ALS1-CAT-0003,{iso(10)},{dmy(-10)}",  # 9: expiry before issue
        f"not-an-email,Cat,Fox,ALS1,ALS1-CAT-0004,{iso(-10)},",  # 10: not an address
        f"cat@example.org,Cat,Fox,ALS1,,{iso(-10)},",  # 11: no number
        f"cat@example.org,Cat,Fox,ALS1,ALS1/CAT/5,{iso(-10)},",  # 12: not a number
        f"{TOO_LONG_EMAIL},Cat,Fox,ALS1,ALS1-CAT-0006,{iso(-10)},",  # 13: address too long
        f"cat@example.org,Cat,{'F' * 151},ALS1,ALS1-CAT-0007,{iso(-10)},",  # 14: name too long
        f'eve@example.org,"E\nve",Fox,ALS1,ALS1-EVE-0001,{iso(-10)},',  # 15-16: a line break inside a name
        "dan@example.org,Dan,Fox,ALS1,ALS1-DAN-0001,0026-01-01,",  # 17: a year typed as 26
        "dan@example.org,Dan,Fox,ALS1,ALS1-2100-0001,2100-06-01,",  # 18: its expiry would pass 2100
        f"dan@example.org,Dan,Fox,ALS1,ALS1-DAN-0003,{iso(-10)},,extra",  # 19: more values than columns
        "dan@example.org,Dan,Fox",  # 20: fewer values than columns
        ",,,,,,",  # 21: nothing at all: read as a blank line
        f"dan@example.org,Dan,Fox,ALS1,ALS1-DAN-0004,{iso(-10)},",  # 22: created (Dan's first good line)
    ]


def rows_against_others(today: datetime.date) -> list[str]:
    """Lines 23 to 36: rows refused against the file's earlier lines (tangled too) and against the register."""
    iso = partial(day_text, today)
    return [
        f"ann@example.org,Ann,Lee,ALS1,ALS1-ANN-0001,{iso(-300)},",  # 23: duplicate of line 2
        f"zoe@example.org,Zoe,Kay,ALS1,als1-ann-0001,{iso(-300)},",  # 24: line 2's number, other details
        f"bob@example.org,Robert,Ray,ALS1,ALS1-BOB-0002,{iso(-20)},",  # 25: Bob named otherwise on line 3
        # Tangled: numbers repeated by addresses that are also named two ways. Only the file's order tells.
        f"gil@example.org,Gil,Tan,ALS1,ALS1-GIL-0001,{iso(-30)},",  # 26: created
        f"gil@example.org,Gilbert,Tan,ALS1,ALS1-GIL-0002,{iso(-30)},",  # 27: Gil named otherwise on line 26
        f"hal@example.org,Hal,Wu,ALS1,ALS1-GIL-0002,{iso(-30)},",  # 28: created (line 27 was refused)
        f"ivy@example.org,Ivy,Lo,ALS1,ALS1-GIL-0001,{iso(-30)},",  # 29: line 26's number
        f"ivy@example.org,Ivy-May,Lo,ALS1,ALS1-IVY-0002,{iso(-30)},",  # 30: created: Ivy's first good line
        f"ivy@example.org,Ivy,Lo,ALS1,ALS1-IVY-0003,{iso(-30)},",  # 31: Ivy named otherwise on line 30
        f"ivy@example.org,Ivy,Lo,ALS1,ALS1-GIL-0002,{iso(-30)},",  # 32: both: line 28's number, line 30's name
        f"zed@example.org,Zed,Ox,ALS1,ALS1-NED-0001,{iso(-5)},",  # 33: held by another person
        f"kim@example.org,Kim,Fox,ALS1,ALS2-KIM-0001,{iso(-5)},",  # 34: held for another course
        f"lou@example.org,Louise,Fox,ALS1,ALS1-LOU-0001,{iso(-5)},",  # 35: named otherwise in the register
        f"lou@example.org,Louise,Fox,ALS1,ALS1-NED-0002,{iso(-5)},",  # 36: both against the register
    ]


def held_register(today: datetime.date, als1, als2) -> None:
    """The register the awkward file meets: numbers held by others, for another course, by a participant stored
    with capitals, and participants named otherwise."""

    def held(number, participant, course, issued_days, expires_days):
        issued_on = today + datetime.timedelta(days=issued_days)
        expires_on = today + datetime.timedelta(days=expires_days)
        CertificationFactory(
            number=number, participant=participant, course=course, issued_on=issued_on, expires_on=expires_on
        )

    ned = UserFactory(email="ned@example.org", first_name="Ned", last_name="Po")
    held("ALS1-NED-0001", ned, als1, -400, 300)
    held("ALS1-NED-0002", ned, als1, -400, 300)
    held("ALS2-KIM-0001", UserFactory(email="kim@example.org", first_name="Kim", last_name="Fox"), als2, -400, 300)
    mia = UserFactory(email="Mia@Example.org", first_name="Mia", last_name="Ng")
    held("ALS1-MIA-0001", mia, als1, -700, 30)
    held("ALS1-MIA-0002", mia, als1, -800, 10)
    UserFactory(email="lou@example.org", first_name="Lou", last_name="Fox")


def outcome(kind, path, *, skip_invalid: bool) -> tuple:
    """What importing `path` with `kind` reports and leaves in the register; then the register is put back."""
    with transaction.atomic():
        began = timezone.now()
        report = run_import(kind, path, skip_invalid=skip_invalid)
        new_participants = [User.objects.get(pk=pk).email for pk in report.new_participant_ids]
        counts = (report.rows, report.created, report.updated, report.unchanged, report.participants_created)
        rejected = [(row.line, row.column, row.reason, row.values) for row in report.rejected]
        seen = (counts, report.written, rejected, new_participants, register(written_since=began))
        transaction.set_rollback(True)
    return seen


def register(*, written_since: datetime.datetime) -> tuple:
    """The certifications (and whether they were written since `written_since`), the participants, and whom the
    reminder scan will look at again."""
    certifications = Certification.objects.annotate(
        written=ExpressionWrapper(Q(updated_at__gte=written_since), output_field=BooleanField())
    ).values_list(
        "number", "participant__email", "course__code", "issued_on", "expires_on", "revoked_at", "renewed_by", "written"
    )
    participants = [
        (user.email, user.first_name, user.last_name, user.has_usable_password(), user.is_active)
        for user in User.objects.all()
    ]
    marked = Recheck.objects.values_list("participant__email", flat=True).distinct()
    return sorted(certifications), sorted(participants), sorted(marked)


@pytest.fixture
def awkward_file(tmp_path, als1, als2):
    require(connection.vendor == "postgresql", "both ways of importing run on PostgreSQL (DATABASE_URL)")
    today = local_today()
    held_register(today, als1, als2)
    path = tmp_path / "awkward.csv"
    path.write_text(awkward_rows(today), encoding="utf-8")
    return path


@pytest.mark.parametrize("skip_invalid", [False, True], ids=["all-or-nothing", "skip-invalid"])
def test_both_ways_report_the_same_and_leave_the_same_register(awkward_file, skip_invalid):
    set_based = outcome(CertificationImport, awkward_file, skip_invalid=skip_invalid)
    row_by_row = outcome(RowByRow, awkward_file, skip_invalid=skip_invalid)

    assert set_based == row_by_row
    counts, written, rejected, _, _ = set_based
    assert written == skip_invalid
    assert len(rejected) == 24 and counts[0] == 33


def test_the_awkward_file_is_judged_as_its_comments_say(awkward_file):
    counts, written, rejected, new_participants, (certifications, _, marked) = outcome(
        CertificationImport, awkward_file, skip_invalid=True
    )

    assert written and counts == (33, 7, 1, 1, 6)
    assert [line for line, *_ in rejected] == [
        *range(7, 16),
        *range(17, 21),
        23,
        24,
        25,
        27,
        29,
        31,
        32,
        33,
        34,
        35,
        36,
    ]
    reasons = {line: f"{column}: {reason}" for line, column, reason, _ in rejected}
    assert reasons[23] == "number: duplicate row in the file (same as line 2)"
    assert reasons[24] == "number: number als1-ann-0001 is also on line 2 with other details"
    assert reasons[25].startswith("first_name: bob@example.org is named 'Robert Ray' here but differently on line 3")
    assert reasons[27].startswith("first_name: gil@example.org is named 'Gilbert Tan' here but differently on line 26")
    assert reasons[29] == "number: number ALS1-GIL-0001 is also on line 26 with other details"
    assert reasons[31].startswith("first_name: ivy@example.org is named 'Ivy Lo' here but differently on line 30")
    assert reasons[32].startswith("number, first_name: number ALS1-GIL-0002 is also on line 28 with other details; ")
    assert reasons[33] == "number: number ALS1-NED-0001 already belongs to another person"
    assert reasons[34].startswith("number: number ALS2-KIM-0001 already belongs to a ALS2 certification, not ALS1")
    assert reasons[35].startswith("first_name: lou@example.org is 'Lou Fox' in the register, not 'Louise Fox'")
    assert reasons[36].startswith("number, first_name: number ALS1-NED-0002 already belongs to another person; ")
    assert new_participants == [f"{name}@example.org" for name in ("ann", "bob", "dan", "gil", "hal", "ivy")]
    holders = {number: email for number, email, *_ in certifications}
    assert holders["ALS1-GIL-0002"] == "hal@example.org" and holders["ALS1-IVY-0002"] == "ivy@example.org"
    assert {"ann@example.org", "hal@example.org", "ivy@example.org", "Mia@Example.org"} <= set(marked)
    written = {number for number, *_, was_written in certifications if was_written}
    assert {"ALS1-ANN-0001", "ALS1-MIA-0002"} <= written and not {"ALS1-MIA-0001", "ALS1-NED-0001"} & written


# --- The set-based way on its own -------------------------------------------------------------------------------

GOOD = (
    "ann@example.org,Ann,Lee,ALS1,ALS1-2025-000001,2025-03-02,\n"
    "bob@example.org,Bob,Ray,ALS2,ALS2-2025-000001,02/03/2025,2027-03-01\n"
)


@pytest.fixture
def good_file(tmp_path, als1, als2):
    require(connection.vendor == "postgresql", "the set-based import runs on PostgreSQL (DATABASE_URL)")
    path = tmp_path / "good.csv"
    path.write_text(HEADER + GOOD)
    return path


def test_on_postgresql_the_import_runs_set_based(good_file, monkeypatch):
    calls = []
    set_based = certification_import_postgres.check_and_write
    monkeypatch.setattr(
        certification_import_postgres,
        "check_and_write",
        lambda *args, **kwargs: calls.append(args[1]) or set_based(*args, **kwargs),
    )

    report = CertificationImport.run(good_file)

    assert calls == [good_file] and report.written and report.created == 2


def between_checks_and_writes(monkeypatch, change) -> None:
    """Makes `change` happen to the register after the set-based checks and before the writes, as an
    administrator's save at that moment would."""
    checks = certification_import_postgres.register_problems

    def checked_then_changed(*args):
        problems = checks(*args)
        change()
        return problems

    monkeypatch.setattr(certification_import_postgres, "register_problems", checked_then_changed)


def test_a_number_given_to_someone_else_meanwhile_refuses_the_whole_import(good_file, als2, monkeypatch):
    someone = UserFactory(email="someone@example.org")
    between_checks_and_writes(
        monkeypatch, lambda: CertificationFactory(number="ALS2-2025-000001", participant=someone, course=als2)
    )

    with pytest.raises(ImportRefused, match="the register changed while importing"):
        CertificationImport.run(good_file)

    assert list(Certification.objects.values_list("number", flat=True)) == []
    assert not User.objects.filter(email__in=["ann@example.org", "bob@example.org"]).exists()


def test_a_participant_added_meanwhile_refuses_the_whole_import(good_file, monkeypatch):
    between_checks_and_writes(monkeypatch, lambda: UserFactory(email="bob@example.org", first_name="Rob"))

    with pytest.raises(ImportRefused, match="the register changed while importing"):
        CertificationImport.run(good_file)

    assert not Certification.objects.exists()
    assert not User.objects.filter(email__in=["ann@example.org", "bob@example.org"]).exists()
