"""The participants a CSV import names by email, first_name and last_name (learning.common.csv_import), with the
rules every import keeps: an address is one person, named the same on every line and as the register names them
(differing only in case, spacing or accent encoding is the same name); an unknown address becomes a participant
without a password, whose id the report keeps so that the caller may invite them. An import whose rows name
participants is a ParticipantImport."""

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db.models.functions import Lower

from learning.accounts.models import User, canonical_email
from learning.common.csv_import import CsvImport, ImportReport, Problems, comparable_name, digest, email_problems

NAME_COLUMNS = ("first_name", "last_name")
# The participant's columns, and the User fields that hold them (whose max_length bounds them).
PARTICIPANT_COLUMNS = {"email": (User, "email"), "first_name": (User, "first_name"), "last_name": (User, "last_name")}


def row_names(row) -> tuple[str, str]:
    """The first and last name an import's row (anything with `values`) gives, as the file has them."""
    return (row.values.get("first_name") or "").strip(), (row.values.get("last_name") or "").strip()


def name_digests(row) -> tuple[bytes, ...]:
    return tuple(digest(comparable_name(name)) for name in row_names(row))


def differing_names(was, now) -> list[str]:
    """The name columns whose (comparable) values differ."""
    return [column for column, before, after in zip(NAME_COLUMNS, was, now, strict=True) if before != after]


def names_disagreement(row, named: tuple[int, bytes, bytes] | None) -> Problems:
    """The row's address is `named` on an earlier good line (that line and the digests of its comparable first
    and last name): the row must name it the same."""
    names = name_digests(row)
    if named is None or named[1:] == names:
        return []
    return [
        (
            ", ".join(differing_names(named[1:], names)),
            f"{row.email} is named {' '.join(row_names(row))!r} here but differently on line "
            f"{named[0]}; one person has one name",
        )
    ]


@dataclass
class NamesSeen:
    """Who the file's earlier good rows say each address is, kept small whatever the file's size: the line and
    digests of the comparable names, never the row."""

    names: dict[str, tuple[int, bytes, bytes]] = field(default_factory=dict)

    def disagreement(self, row) -> Problems:
        """An address named differently on an earlier line."""
        return names_disagreement(row, self.names.get(row.email))

    def remember(self, row) -> None:
        self.names.setdefault(row.email, (row.line, *name_digests(row)))


class ParticipantImport(CsvImport):
    """An import whose rows name a participant: the address is one, each address has one name in the file, and a
    known address has the register's name. A subclass adds its own checks to each step, after these (a row's
    `email` is set here, as accounts store it: canonical_email), and creates the participants with
    `participants_for`."""

    def __init__(self):
        self.names = NamesSeen()

    def value_problems(self, row, clean: dict[str, str], failed: set[str]) -> Problems:
        row.email = canonical_email(clean["email"])
        return email_problems(clean, failed=failed)

    def earlier_problems(self, row) -> Problems:
        return self.names.disagreement(row)

    def remember(self, row) -> None:
        self.names.remember(row)

    def register_problems(self, rows: list):
        participants = registered_names(rows)
        return lambda row: register_name_problems(row, participants.get(row.email))


def registered_names(rows: list) -> dict[str, tuple[str, str]]:
    """email in lower case -> (first name, last name) of the rows' participants already in the register."""
    return {
        user.email.lower(): (user.first_name, user.last_name)
        for user in participants_by_email({row.email for row in rows}).only("email", "first_name", "last_name")
    }


def register_name_problems(row, registered: tuple[str, str] | None) -> Problems:
    """A known address must be named as the register names it."""
    if registered is None:
        return []
    columns = differing_names(
        [comparable_name(name) for name in registered], [comparable_name(name) for name in row_names(row)]
    )
    if not columns:
        return []
    return [
        (
            ", ".join(columns),
            f"{row.email} is {' '.join(registered)!r} in the register, not {' '.join(row_names(row))!r}; "
            "correct the file or the participant, then import again",
        )
    ]


def participants_by_email(emails: set[str]):
    """The users with any of `emails` (given in lower case), however their address was capitalised when stored
    (the unique index is on the address in lower case)."""
    return User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)


def participants_for(rows: list, report: ImportReport) -> dict[str, User]:
    """email in lower case -> user for every row, creating the participants the register does not know yet."""
    users = {user.email.lower(): user for user in participants_by_email({row.email for row in rows})}
    new_users = []
    for row in rows:
        if row.email not in users:
            first_name, last_name = row_names(row)
            user = User(email=row.email, password=make_password(None), first_name=first_name, last_name=last_name)
            users[row.email] = user
            new_users.append(user)
    if new_users:
        User.objects.bulk_create(new_users)
        # bulk_create sets primary keys on PostgreSQL and SQLite; fetch them where a backend does not.
        if any(user.pk is None for user in new_users):
            fetched = {u.email: u for u in User.objects.filter(email__in=[u.email for u in new_users])}
            new_users = [fetched[user.email] for user in new_users]
            users.update(fetched)
        report.participants_created += len(new_users)
        report.new_participant_ids.extend(user.pk for user in new_users)
    return users
