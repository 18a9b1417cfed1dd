"""Bulk import of organisation members from CSV, with the certification import's rules (learning.common.csv_import):
every row checked before anything is written, all or nothing unless `skip_invalid`, each rejected row reported
with its line, column and reason, idempotent on re-import, one import of members at a time.

Columns: email, first_name, last_name, organisation, employer_verified (optional).

- The organisation is named as the portal shows it: its name, or a department's path from its trust, the names
  joined by a single right-pointing angle quote as My portal shows them, or by ">" ("Riverside Hospitals NHS
  Trust > Emergency Department"), compared ignoring case and spacing. A department may be named alone, or by the
  end of its path, when no other organisation ends the same way; a name that matches none, or more than one, is
  rejected, the latter listing the paths that would tell them apart.
- An address the register does not know becomes a participant, named as the row says; a known one must be named
  as the register names it, and the same on every line (learning.accounts.participant_import). New participants
  are invited only when asked, as the certification import does.
- A membership already held is left as it is (re-importing changes nothing), except that a given
  employer_verified (yes/no, true/false, 1/0) replaces the membership's; left empty, it changes nothing (a new
  membership is then not verified).
- A participant whose free-text employer is empty gets the name of the row's top organisation (the trust, not the
  department): the field the participant fills in on My details and the organisations then say the same.
"""

import re
from collections import defaultdict
from dataclasses import dataclass

from learning.accounts.models import User
from learning.accounts.participant_import import PARTICIPANT_COLUMNS, ParticipantImport, participants_for
from learning.common.csv_import import (
    CsvColumns,
    ImportReport,
    Problems,
    comparable_name,
    shown,
)
from learning.organisations.models import Membership
from learning.organisations.selectors import PATH_SEPARATOR, OrganisationTree

COLUMNS = CsvColumns(
    names=("email", "first_name", "last_name", "organisation", "employer_verified"),
    required=("email", "first_name", "last_name", "organisation"),
    stored=PARTICIPANT_COLUMNS,
)
# How a department's path may be written: with the separator the portal shows, or the one every keyboard has.
PATH_SEPARATORS = re.compile(r"[\u203a>]")
WRITE_A_DEPARTMENT = f"write a department as Trust{PATH_SEPARATOR}Department"
VERIFIED_WORDS = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
EXAMPLE_ROW = {"email": "ann.lee@example.org", "first_name": "Ann", "last_name": "Lee", "employer_verified": "yes"}
# How many organisations an ambiguous name's rejection lists: enough to see the difference, never a page.
CANDIDATES_SHOWN = 5


@dataclass
class MemberRow:
    line: int
    values: dict
    # What the row says, and what it resolves to.
    email: str = ""
    organisation_id: int | None = None
    top_name: str = ""  # the name of the organisation's trust (itself when it has no parent)
    employer_verified: bool | None = None  # None: not given, the membership's stays as it is


@dataclass
class OrganisationNames:
    """Every organisation by the ends of its path, in comparable form: ("trust", "emergency department") and
    ("emergency department",) both lead to the department. Loaded once a pass; organisations are few."""

    tree: OrganisationTree
    by_ending: dict[tuple[str, ...], list[int]]

    @classmethod
    def load(cls) -> "OrganisationNames":
        tree, by_ending = OrganisationTree.load(), defaultdict(list)
        for pk in tree.by_id:
            path = tuple(comparable_name(organisation.name) for organisation in tree.lineage(pk))
            for start in range(len(path)):
                by_ending[path[start:]].append(pk)
        return cls(tree, dict(by_ending))

    def find(self, text: str) -> tuple[int | None, str]:
        """(the organisation's id, "") for a name or path that names exactly one; (None, why) otherwise."""
        parts = tuple(comparable_name(part) for part in PATH_SEPARATORS.split(text))
        if not all(parts):
            return None, f"{shown(text)} has an empty part; {WRITE_A_DEPARTMENT}"
        found = self.by_ending.get(parts, [])
        if len(found) == 1:
            return found[0], ""
        if not found:
            return None, (
                f"unknown organisation {shown(text)}: add it under Organisations first, or {WRITE_A_DEPARTMENT}"
            )
        paths = sorted(self.tree.path(pk) for pk in found)
        listed = "; ".join(paths[:CANDIDATES_SHOWN]) + ("; ..." if len(paths) > CANDIDATES_SHOWN else "")
        return None, f"{shown(text)} names {len(found)} organisations ({listed}); write the whole path to say which"

    def top_name(self, pk: int) -> str:
        return self.tree.lineage(pk)[0].name


def organisation_problems(
    row: MemberRow, clean: dict[str, str], organisations: OrganisationNames, *, failed: set[str]
) -> Problems:
    """Reads the organisation into `row`; its problem when it names none, or more than one."""
    if "organisation" in failed:
        return []
    row.organisation_id, problem = organisations.find(clean["organisation"])
    if problem:
        return [("organisation", problem)]
    row.top_name = organisations.top_name(row.organisation_id)
    return []


def verified_problems(row: MemberRow, clean: dict[str, str], *, failed: set[str]) -> Problems:
    """Reads employer_verified into `row` (None when empty); its problem when it is not a yes or a no."""
    text = clean["employer_verified"]
    if not text or "employer_verified" in failed:
        return []
    row.employer_verified = VERIFIED_WORDS.get(text.lower())
    if row.employer_verified is None:
        return [("employer_verified", f"{shown(text)} is not yes or no (yes, no, true, false, 1, 0, or empty)")]
    return []


class MembersImport(ParticipantImport):
    """A participant's checks (learning.accounts.participant_import), then each row's organisation and
    employer_verified, and the same membership on an earlier line. Writes the memberships and fills empty
    employers."""

    subject = "members"
    columns = COLUMNS
    values_help = (
        "An organisation is written by its name, a department as Trust > Department; employer_verified as yes or no."
    )
    identifying_columns = ("email", "organisation")

    @classmethod
    def example_row(cls) -> dict[str, str]:
        """The example row: a department of the organisations there are, written as its path."""
        tree = OrganisationTree.load()
        departments = [pk for pk, organisation in tree.by_id.items() if organisation.parent_id is not None]
        chosen = (departments or list(tree.by_id) or [None])[0]
        organisation = tree.path(chosen) if chosen else "Riverside Hospitals NHS Trust"
        return {**EXAMPLE_ROW, "organisation": organisation}

    def __init__(self):
        super().__init__()
        self.organisations = OrganisationNames.load()
        # (email, organisation id) -> (line, employer_verified) of the file's earlier good rows.
        self.memberships: dict[tuple[str, int], tuple[int, bool | None]] = {}

    def new_row(self, line: int, values: dict) -> MemberRow:
        return MemberRow(line=line, values=values)

    def value_problems(self, row: MemberRow, clean: dict[str, str], failed: set[str]) -> Problems:
        return [
            *super().value_problems(row, clean, failed),
            *organisation_problems(row, clean, self.organisations, failed=failed),
            *verified_problems(row, clean, failed=failed),
        ]

    def earlier_problems(self, row: MemberRow) -> Problems:
        return self.membership_problems(row) + super().earlier_problems(row)

    def membership_problems(self, row: MemberRow) -> Problems:
        first = self.memberships.get((row.email, row.organisation_id))
        if first is None:
            return []
        if first[1] == row.employer_verified:
            return [("organisation", f"duplicate row in the file (same as line {first[0]})")]
        path = self.organisations.tree.path(row.organisation_id)
        return [
            (
                "employer_verified",
                f"{row.email} is a member of {path} on line {first[0]} too, with another employer_verified",
            )
        ]

    def remember(self, row: MemberRow) -> None:
        self.memberships[(row.email, row.organisation_id)] = (row.line, row.employer_verified)
        super().remember(row)

    def write_batch(self, rows: list[MemberRow], report: ImportReport) -> None:
        write_memberships(rows, report)


def write_memberships(rows: list[MemberRow], report: ImportReport) -> None:
    """Creates the participants and memberships the rows name, updates employer_verified where given, and fills
    the participants' empty employer."""
    users = participants_for(rows, report)
    fill_employers(rows, users)
    existing = {
        (membership.participant_id, membership.organisation_id): membership
        for membership in Membership.objects.filter(
            participant__in=[user.pk for user in users.values()],
            organisation_id__in={row.organisation_id for row in rows},
        )
    }
    to_create, to_update = [], []
    for row in rows:
        participant = users[row.email]
        found = existing.get((participant.pk, row.organisation_id))
        if found is None:
            to_create.append(
                Membership(
                    participant=participant,
                    organisation_id=row.organisation_id,
                    employer_verified=bool(row.employer_verified),
                )
            )
        elif row.employer_verified is not None and found.employer_verified != row.employer_verified:
            found.employer_verified = row.employer_verified
            to_update.append(found)
        else:
            report.unchanged += 1
    Membership.objects.bulk_create(to_create)
    Membership.objects.bulk_update(to_update, ["employer_verified"])
    report.created += len(to_create)
    report.updated += len(to_update)


def fill_employers(rows: list[MemberRow], users: dict[str, User]) -> None:
    """Gives each participant whose employer is empty the name of their first row's top organisation; an employer
    already written, even another one, is the participant's own word and stays."""
    filled = {}
    for row in rows:
        participant = users[row.email]
        if not participant.employer.strip() and participant.pk not in filled:
            participant.employer = row.top_name
            filled[participant.pk] = participant
    User.objects.bulk_update(filled.values(), ["employer"])
