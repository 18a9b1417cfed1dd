"""`manage.py import_certifications FILE.csv`: existing certification records into the register."""

from learning.management.import_command import ImportCommand
from learning.register.certification_import import CertificationImport


class Command(ImportCommand):
    help = (
        "Imports certifications from CSV (email, first_name, last_name, course_code, number, issued_on, "
        "expires_on). All or nothing unless --skip-invalid; re-importing the same file changes nothing."
    )
    csv_import = CertificationImport
