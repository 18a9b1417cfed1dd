"""`manage.py import_members FILE.csv`: participants into organisations (learning.organisations.members_import)."""

from learning.management.import_command import ImportCommand
from learning.organisations.members_import import MembersImport


class Command(ImportCommand):
    help = (
        "Imports organisation members from CSV (email, first_name, last_name, organisation, employer_verified). "
        "A department is written as Trust > Department. All or nothing unless --skip-invalid; re-importing the "
        "same file changes nothing."
    )
    csv_import = MembersImport
