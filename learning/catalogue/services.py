"""Writes course pages from Hugo files: one file per transaction, a new revision only when something changed,
and prerequisites linked whichever of the two courses arrives first."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from wagtail.models import Page

from learning.catalogue.blocks import CourseBodyBlock
from learning.catalogue.hugo import CourseDocument, HugoFormatError, parse_course
from learning.catalogue.models import CourseIndexPage, CoursePage, CoursePrerequisite

CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"

# The page fields an import writes, from the document's attribute of the same or the mapped name.
DOCUMENT_FIELDS = {
    "title": "title",
    "long_title": "long_title",
    "summary": "summary",
    "search_description": "summary",
    "intro": "intro_html",
    "duration_days": "duration_days",
    "duration_hours": "duration_hours",
    "validity_months": "validity_months",
    "max_participants_per_instructor": "max_participants_per_instructor",
    "other_prerequisites": "other_prerequisites",
    "written_exam_pass_mark": "written_exam_pass_mark",
    "attendance_required": "attendance_required",
    "fee_text": "fee_text",
    "booking_url": "booking_url",
    "contact_url": "contact_url",
    "call_to_action": "call_to_action_html",
}


class CatalogueError(Exception):
    """A file that reads well but cannot be written where it was asked to go."""


@dataclass
class ImportResult:
    path: Path
    outcome: str
    code: str = ""
    page_id: int | None = None
    message: str = ""
    changed_fields: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)


def find_catalogue(parent: str | None = None) -> CourseIndexPage:
    """The catalogue to import under: the one given by id or URL path, else the only one there is."""
    if parent:
        pages = CourseIndexPage.objects.all()
        found = (
            pages.filter(pk=int(parent))
            if parent.isdigit()
            else pages.filter(url_path__endswith=f"/{parent.strip('/')}/")
        )
        if not found:
            raise CatalogueError(f"no course catalogue page {parent!r} (give its id or its path, e.g. /courses/)")
        return found.first()
    catalogues = list(CourseIndexPage.objects.all())
    if not catalogues:
        raise CatalogueError("there is no course catalogue page yet: create one in the admin (or run load_demo)")
    if len(catalogues) > 1:
        names = ", ".join(f"{page.pk} ({page.url_path})" for page in catalogues)
        raise CatalogueError(f"there are several catalogues, choose one with --parent: {names}")
    return catalogues[0]


def comparable_body(raw) -> str:
    """The body as JSON without block ids, so two bodies with the same content compare equal."""

    def strip_ids(value):
        if isinstance(value, dict):
            return {key: strip_ids(item) for key, item in value.items() if key != "id"}
        if isinstance(value, list):
            return [strip_ids(item) for item in value]
        return value

    block = CourseBodyBlock()
    return json.dumps(strip_ids(block.get_prep_value(block.to_python(raw))), sort_keys=True, default=str)


def snapshot(page: CoursePage) -> dict:
    values = {name: getattr(page, name) for name in DOCUMENT_FIELDS}
    values["body"] = comparable_body(page.body.raw_data if hasattr(page.body, "raw_data") else page.body)
    values["prerequisites"] = sorted(
        (link.code or (link.prerequisite.code if link.prerequisite else ""), link.prerequisite_id)
        for link in page.prerequisites.all()
    )
    return values


def apply_document(page: CoursePage, document: CourseDocument) -> None:
    for name, attribute in DOCUMENT_FIELDS.items():
        setattr(page, name, getattr(document, attribute))
    page.code = document.code
    page.body = [{"type": block_type, "value": value} for block_type, value in document.blocks]
    existing = {course.code: course for course in CoursePage.objects.filter(code__in=document.prerequisite_codes)}
    page.prerequisites = [
        CoursePrerequisite(code=code, prerequisite=existing.get(code)) for code in document.prerequisite_codes
    ]


def link_waiting_prerequisites(course: CoursePage) -> list[str]:
    """Links the course pages that name `course` as a prerequisite but were imported before it existed, each
    as a new revision (published if the page had no unpublished draft)."""
    linked = []
    waiting = CoursePage.objects.filter(
        pk__in=CoursePrerequisite.objects.filter(code=course.code, prerequisite__isnull=True).values("course_id")
    )
    for dependent in waiting:
        had_draft = dependent.has_unpublished_changes
        latest = dependent.get_latest_revision_as_object()
        # Assigned as a whole: without a draft, `latest` is the live page and .all() a database query.
        links = list(latest.prerequisites.all())
        for link in links:
            if link.code == course.code and link.prerequisite_id is None:
                link.prerequisite = course
        latest.prerequisites = links
        revision = latest.save_revision(log_action=True)
        if dependent.live and not had_draft:
            revision.publish()
        linked.append(dependent.code)
    return linked


def import_course(document: CourseDocument, catalogue: CourseIndexPage) -> ImportResult:
    """Creates or updates the course page with the document's code (never a second page for one code)."""
    existing = CoursePage.objects.filter(code=document.code).first()
    result = ImportResult(path=document.path, outcome=UNCHANGED, code=document.code)
    if existing is None:
        if Page.objects.child_of(catalogue).filter(slug=document.slug).exists():
            raise CatalogueError(
                f"another page under {catalogue.title!r} already has the address {document.slug!r}: "
                "rename it, or give this file another slug in its front matter"
            )
        page = CoursePage(slug=document.slug)
        apply_document(page, document)
        catalogue.add_child(instance=page)
        page.save_revision(log_action=True).publish()
        result.outcome, result.page_id = CREATED, page.pk
    else:
        page = existing.get_latest_revision_as_object()
        before = snapshot(page)
        apply_document(page, document)
        after = snapshot(page)
        result.page_id = page.pk
        result.changed_fields = [name for name in after if before[name] != after[name]]
        if result.changed_fields or existing.has_unpublished_changes or not existing.live:
            page.save_revision(log_action=True).publish()
            result.outcome = UPDATED
    result.linked = link_waiting_prerequisites(CoursePage.objects.get(pk=result.page_id))
    return result


def import_course_file(path: Path, catalogue: CourseIndexPage, *, dry_run: bool = False) -> ImportResult:
    """Reads and imports one file, all or nothing: on any error the database is left as it was."""
    try:
        document = parse_course(path)
        with transaction.atomic():
            result = import_course(document, catalogue)
            if dry_run:
                transaction.set_rollback(True)
        return result
    except (HugoFormatError, CatalogueError) as error:
        return ImportResult(path=Path(path), outcome=FAILED, message=str(error))
    except ValidationError as error:
        messages = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in error.message_dict.items())
        return ImportResult(path=Path(path), outcome=FAILED, message=f"{path}: the page is not valid: {messages}")


def course_files(paths: list[str]) -> list[Path]:
    """The markdown files named, folders searched recursively; in a stable order."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.md") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise CatalogueError(f"{name}: no such file or folder")
    return list(dict.fromkeys(files))
