"""Writes course pages from Hugo files: every file of a run or none (one transaction, after every file has been
read and the prerequisites of the run checked against the catalogue), a new revision only when something changed,
and prerequisites linked whichever of the two courses arrives first."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from wagtail.models import Page

from learning.catalogue.blocks import CourseBodyBlock
from learning.catalogue.hugo import DEFAULT_MAX_BYTES, CourseDocument, HugoFormatError, parse_course
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
    "requires_practical_assessment": "requires_practical_assessment",
    "requires_scenario_assessment": "requires_scenario_assessment",
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


@dataclass
class ImportRun:
    """What a run did: a result per file when it was written (or, dry, would have been), else the refusals and
    nothing written. `warnings` are problems of the catalogue that the run neither causes nor refuses."""

    results: list[ImportResult] = field(default_factory=list)
    refusals: list[ImportResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def import_course_files(
    paths: list[Path], catalogue: CourseIndexPage, *, dry_run: bool = False, max_bytes: int | None = None
) -> ImportRun:
    """Reads every file, checks the prerequisites of the run against the catalogue, then writes every file in one
    transaction; any refusal, at any step, leaves the database as it was and reports every refused file."""
    if max_bytes is None:
        max_bytes = getattr(settings, "HUGO_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    run = ImportRun()
    documents = []
    for path in paths:
        try:
            documents.append(parse_course(path, max_bytes=max_bytes))
        except HugoFormatError as error:
            run.refusals.append(failure(path, str(error)))
    cycles, run.warnings = prerequisite_cycles(documents)
    run.refusals.extend(failure(error.path, str(error)) for error in cycles)
    if run.refused:
        return run
    with transaction.atomic():
        for document in documents:
            try:
                # A savepoint per file, so that a refused file is undone and the next ones are still checked.
                with transaction.atomic():
                    run.results.append(import_course(document, catalogue))
            except CatalogueError as error:
                run.refusals.append(failure(document.path, f"{document.path}: {error}"))
            except ValidationError as error:
                messages = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in error.message_dict.items())
                run.refusals.append(failure(document.path, f"{document.path}: the page is not valid: {messages}"))
        if run.refused or dry_run:
            transaction.set_rollback(True)
    if run.refused:
        run.results = []
    return run


def failure(path, message: str) -> ImportResult:
    return ImportResult(path=Path(path), outcome=FAILED, message=message)


def import_course_file(path: Path, catalogue: CourseIndexPage, *, dry_run: bool = False) -> ImportResult:
    """Reads and imports one file, all or nothing: on any error the database is left as it was."""
    run = import_course_files([Path(path)], catalogue, dry_run=dry_run)
    return run.refusals[0] if run.refused else run.results[0]


# --- Prerequisite cycles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """`course` requires a current `prerequisite`, as written at `path`:`line`:`column`, or on a page of the
    catalogue (`path` None)."""

    course: str
    prerequisite: str
    path: Path | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self):
        where = f"{self.path}:{self.line}:{self.column}" if self.path else "in the catalogue"
        return f"{self.course} requires {self.prerequisite} ({where})"


# Course code -> its requirements, in the order its page or file writes them.
Graph = dict[str, list[Requirement]]


def prerequisite_cycles(documents: list[CourseDocument]) -> tuple[list[HugoFormatError], list[str]]:
    """Every cycle of prerequisites in the catalogue as it would be after the run (the live pages' prerequisites,
    with each course of the run replaced by its file): a course in a cycle can never be booked, since nobody can
    hold a current certification of it first. A cycle through a course of the run refuses the file of the first
    such course, naming every file and line of the cycle; a cycle among pages the run does not touch is a warning."""
    graph = catalogue_graph()
    run_documents = {}
    for document in documents:
        # A later file of the run for the same course is the one written last, so it is the one that counts.
        run_documents[document.code] = document
        graph[document.code] = [
            Requirement(document.code, code, document.path, *document.prerequisite_at[code])
            for code in document.prerequisite_codes
        ]
    order = list(run_documents) + sorted(set(graph) - set(run_documents))
    refusals, warnings = [], []
    for component in strongly_connected(graph, order):
        # Codes only named as prerequisites (no page, no file) have no requirements, so they are in no cycle.
        start = next((code for code in order if code in component), None)
        cycle = cycle_within(graph, component, start=start) if start else []
        if not cycle:
            continue
        refusal = cycle_refusal(cycle)
        if refusal is not None:
            refusals.append(refusal)
        else:
            warnings.append(
                f"a cycle of prerequisites already in the catalogue: {described(cycle)}; edit one of these pages"
            )
    return refusals, warnings


def catalogue_graph() -> Graph:
    """Course code -> what it requires, as the catalogue's pages say today."""
    graph: Graph = {}
    links = CoursePrerequisite.objects.values_list("course__code", "code", "prerequisite__code").order_by(
        "course__code", "sort_order", "pk"
    )
    for course, code, linked_code in links:
        prerequisite = linked_code or code
        if prerequisite:
            graph.setdefault(course, []).append(Requirement(course, prerequisite))
    return graph


def described(cycle: list[Requirement]) -> str:
    return ", ".join(str(requirement) for requirement in cycle)


def cycle_refusal(cycle: list[Requirement]) -> HugoFormatError | None:
    """The refusal of the first file of the run that the cycle goes through; None when it goes through none."""
    first = next((requirement for requirement in cycle if requirement.path is not None), None)
    if first is None:
        return None
    return HugoFormatError(
        first.path,
        first.line,
        f"a cycle of prerequisites: {described(cycle)}; none of these courses could ever be booked",
        first.column,
    )


def strongly_connected(graph: Graph, order: list[str]) -> list[set[str]]:
    """The strongly connected components of the graph (Tarjan's algorithm, without recursion, so that a long chain
    of prerequisites cannot exhaust the stack), visited from the codes in `order`."""
    search = ComponentSearch(graph)
    for root in order:
        if root not in search.index:
            search.visit_from(root)
    return search.components


@dataclass
class ComponentSearch:
    """The state of Tarjan's algorithm: each code's visiting order (`index`) and the lowest index it reaches
    (`low`), the codes visited but not yet placed in a component (`stack`), and the components found."""

    graph: Graph
    index: dict[str, int] = field(default_factory=dict)
    low: dict[str, int] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)
    on_stack: set[str] = field(default_factory=set)
    components: list[set[str]] = field(default_factory=list)

    def visit_from(self, root: str) -> None:
        # Each entry is a code and the next of its requirements to follow: a depth-first walk on a list of our own.
        work = [(root, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                self.enter(node)
            edges = self.graph.get(node, [])
            for position in range(next_edge, len(edges)):
                target = edges[position].prerequisite
                if target not in self.index:
                    work.append((node, position + 1))
                    work.append((target, 0))
                    break
                if target in self.on_stack:
                    self.low[node] = min(self.low[node], self.index[target])
            else:
                self.leave(node)
                if work:
                    parent = work[-1][0]
                    self.low[parent] = min(self.low[parent], self.low[node])

    def enter(self, node: str) -> None:
        self.index[node] = self.low[node] = len(self.index)
        self.stack.append(node)
        self.on_stack.add(node)

    def leave(self, node: str) -> None:
        """Once every requirement of `node` is followed: a node that reaches no lower one closes a component."""
        if self.low[node] != self.index[node]:
            return
        component = set()
        while True:
            member = self.stack.pop()
            self.on_stack.discard(member)
            component.add(member)
            if member == node:
                break
        self.components.append(component)


def cycle_within(graph: Graph, component: set[str], *, start: str) -> list[Requirement]:
    """One cycle through `start` inside a strongly connected component (the shortest, found breadth first); none
    when the component is a single course that does not require itself."""
    came_by: dict[str, Requirement] = {}
    frontier = [start]
    while frontier:
        following = []
        for code in frontier:
            for requirement in graph.get(code, []):
                if requirement.prerequisite not in component:
                    continue
                if requirement.prerequisite == start:
                    cycle = [requirement]
                    while cycle[0].course != start:
                        cycle.insert(0, came_by[cycle[0].course])
                    return cycle
                if requirement.prerequisite not in came_by:
                    came_by[requirement.prerequisite] = requirement
                    following.append(requirement.prerequisite)
        frontier = following
    return []


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
