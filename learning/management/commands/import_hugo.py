"""`manage.py import_hugo PATH [PATH ...]`: Hugo course pages into the catalogue, one line per file."""

from django.core.management.base import BaseCommand, CommandError

from learning.catalogue.services import (
    CREATED,
    FAILED,
    UNCHANGED,
    UPDATED,
    CatalogueError,
    course_files,
    find_catalogue,
    import_course_file,
)


class Command(BaseCommand):
    help = (
        "Imports Hugo course pages (files, or folders searched for *.md) into the course catalogue. Each file is "
        "imported whole or not at all; re-importing a file updates the same page."
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

        counts = dict.fromkeys((CREATED, UPDATED, UNCHANGED, FAILED), 0)
        verb = {CREATED: "would create", UPDATED: "would update"} if dry_run else {}
        for path in files:
            result = import_course_file(path, catalogue, dry_run=dry_run)
            counts[result.outcome] += 1
            if result.outcome == FAILED:
                self.stderr.write(self.style.ERROR(f"failed     {result.message}"))
                continue
            line = f"{verb.get(result.outcome, result.outcome):<10} {path}  ->  {result.code}"
            if result.changed_fields and result.outcome == UPDATED:
                line += f"  (changed: {', '.join(result.changed_fields)})"
            if result.linked:
                line += f"  (linked as prerequisite of {', '.join(result.linked)})"
            style = self.style.SUCCESS if result.outcome in (CREATED, UPDATED) else (lambda text: text)
            self.stdout.write(style(line))

        summary = ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
        self.stdout.write(f"{'Dry run, nothing written: ' if dry_run else ''}{len(files)} files: {summary}")
        if counts[FAILED]:
            done = "checked" if dry_run else "imported"
            raise CommandError(f"{counts[FAILED]} of {len(files)} files failed; the others were {done}.")
