"""`manage.py import_hugo PATH [PATH ...]`: Hugo course pages into the catalogue, one line per file; every file of
the run, or none when any is refused."""

from django.core.management.base import BaseCommand, CommandError

from learning.catalogue.services import (
    CREATED,
    FAILED,
    UNCHANGED,
    UPDATED,
    CatalogueError,
    course_files,
    find_catalogue,
    import_course_files,
)


class Command(BaseCommand):
    help = (
        "Imports Hugo course pages (files, or folders searched for *.md) into the course catalogue. The run is "
        "imported whole or not at all: one refused file (unreadable, too large, a prerequisite cycle) stops every "
        "file, and each refusal is reported with its file and line. Re-importing a file updates the same page."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change and write nothing.")
        parser.add_argument("--parent", help="The catalogue page to import under (id or path); default: the only one.")

    def handle(self, *args, paths, dry_run=False, parent=None, **options):
        try:
            catalogue = find_catalogue(parent)
            files = course_files(paths)
        except CatalogueError as error:
            raise CommandError(str(error)) from None
        if not files:
            raise CommandError("no .md files found in " + ", ".join(paths))

        run = import_course_files(files, catalogue, dry_run=dry_run)
        for warning in run.warnings:
            self.stderr.write(self.style.WARNING(f"warning    {warning}"))
        if run.refused:
            for refusal in run.refusals:
                self.stderr.write(self.style.ERROR(f"failed     {refusal.message}"))
            prefix = "Dry run: " if dry_run else ""
            self.stdout.write(f"{prefix}{len(files)} files: {len(run.refusals)} failed; nothing was written")
            raise CommandError(
                f"{len(run.refusals)} of {len(files)} files failed; nothing was imported "
                "(a run imports every file or none)."
            )

        counts = dict.fromkeys((CREATED, UPDATED, UNCHANGED, FAILED), 0)
        verb = {CREATED: "would create", UPDATED: "would update"} if dry_run else {}
        for result in run.results:
            counts[result.outcome] += 1
            line = f"{verb.get(result.outcome, result.outcome):<10} {result.path}  ->  {result.code}"
            if result.changed_fields and result.outcome == UPDATED:
                line += f"  (changed: {', '.join(result.changed_fields)})"
            if result.linked:
                line += f"  (linked as prerequisite of {', '.join(result.linked)})"
            style = self.style.SUCCESS if result.outcome in (CREATED, UPDATED) else (lambda text: text)
            self.stdout.write(style(line))

        summary = ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
        self.stdout.write(f"{'Dry run, nothing written: ' if dry_run else ''}{len(files)} files: {summary}")
