"""The admin's screens of a CSV import, the same for each kind (certifications, organisation members): the upload
with the latest runs below it, a run's page with its progress (polled, or reloaded without JavaScript), then its
report and rejected rows, the rejected rows as CSV, and the template. Each kind is an ImportScreen, shown by an
ImportViewSet in the menu where it belongs; only those holding the screen's permission start or see its runs."""

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from learning.common.csv_import import CsvImport, write_rejected_rows, write_template
from learning.common.spreadsheets import csv_download
from learning.register.import_runs import import_run_start
from learning.register.models import ImportKind, ImportRun

# How many runs the import page lists, and how many rejected rows a run's page shows (the CSV has them all).
RECENT_RUNS = 10
REJECTED_ROWS_SHOWN = 500


@dataclass(frozen=True)
class ImportScreen:
    """One kind of import in the admin: the kind its runs record, who may start and see them, the import
    (learning.common.csv_import.CsvImport: its columns, help, example row), and the Celery task that runs it."""

    kind: ImportKind
    permission: str
    csv_import: type[CsvImport]
    task: object

    @property
    def title(self) -> str:
        return f"Import {self.csv_import.subject}"

    @property
    def shown_columns(self) -> list[tuple[str, str]]:
        """(column, heading) of what a run's page shows beside each rejected row's reason."""
        return [(name, name.replace("_", " ").capitalize()) for name in self.csv_import.identifying_columns]

    def require_permission(self, request) -> None:
        if not request.user.has_perm(self.permission):
            raise PermissionDenied


class ImportUploadForm(forms.Form):
    # An empty upload reaches the import, which refuses it with the columns it expected.
    file = forms.FileField(allow_empty_file=True)
    skip_invalid = forms.BooleanField(
        required=False, help_text="Import the good rows and list the rejected ones (otherwise: all or nothing)."
    )
    invite = forms.BooleanField(required=False, help_text="Email new participants a link to set a password.")

    def __init__(self, *args, file_help: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = file_help


def url_names(namespace: str) -> dict[str, str]:
    """The screen's URL names, for its templates' {% url %}."""
    return {name: f"{namespace}:{name}" for name in ("index", "template", "run", "progress", "rejected")}


def upload_view(request, *, screen: ImportScreen, namespace: str):
    """Upload a CSV: it is kept, and a worker imports it as `manage.py import_<kind>` does; the run's own page
    follows it. Below the form, the latest runs of this kind."""
    screen.require_permission(request)
    # Bound on any POST, an empty one too, so that a post without a file says so on the field.
    posted = request.method == "POST"
    form = ImportUploadForm(
        request.POST if posted else None, request.FILES if posted else None, file_help=screen.csv_import.file_help()
    )
    if posted and form.is_valid():
        run = import_run_start(
            kind=screen.kind,
            task=screen.task,
            upload=form.cleaned_data["file"],
            skip_invalid=form.cleaned_data["skip_invalid"],
            invite=form.cleaned_data["invite"],
            started_by=request.user,
        )
        return redirect(f"{namespace}:run", run.pk)
    runs = ImportRun.objects.filter(kind=screen.kind).select_related("started_by")[:RECENT_RUNS]
    return render(
        request,
        "learning/admin/import.html",
        {"form": form, "runs": runs, "screen": screen, "urls": url_names(namespace)},
    )


def screen_run(screen: ImportScreen, run_id: int) -> ImportRun:
    """The run, when it is one of this screen's kind: a screen never shows another kind's runs."""
    return get_object_or_404(ImportRun.objects.select_related("started_by"), pk=run_id, kind=screen.kind)


def run_view(request, run_id: int, *, screen: ImportScreen, namespace: str):
    """One run: its progress while it runs (the page polls `progress_view`, or reloads itself without
    JavaScript), then its report and rejected rows."""
    screen.require_permission(request)
    run = screen_run(screen, run_id)
    rejected = [
        (row, [row.values.get(name) or "" for name, _ in screen.shown_columns])
        for row in run.rejected_rows.all()[:REJECTED_ROWS_SHOWN]
    ]
    return render(
        request,
        "learning/admin/import_run.html",
        {
            "run": run,
            "rejected": rejected,
            "shown": REJECTED_ROWS_SHOWN,
            "screen": screen,
            "urls": url_names(namespace),
        },
    )


def progress_view(request, run_id: int, *, screen: ImportScreen, namespace: str):
    """How far a run has got, for its page to move the bar without reloading."""
    screen.require_permission(request)
    run = screen_run(screen, run_id)
    return JsonResponse(
        {
            "status": run.status,
            "finished": run.finished,
            "stage": run.stage,
            "rows_done": run.rows_done,
            "rows_total": run.rows_total,
            "percent": run.percent,
            "progress_text": run.progress_text,
        }
    )


def rejected_view(request, run_id: int, *, screen: ImportScreen, namespace: str):
    """A run's rejected rows as CSV, to correct in a spreadsheet: line, columns at fault, reasons, then the row."""
    screen.require_permission(request)
    run = screen_run(screen, run_id)
    response = csv_download(f"{Path(run.file_name).stem or 'import'}.rejected.csv")
    write_rejected_rows(response, run.rejected_rows.all().iterator(chunk_size=2000), screen.csv_import.columns)
    return response


def template_view(request, *, screen: ImportScreen, namespace: str):
    """The CSV template: the header the import expects and one example row."""
    screen.require_permission(request)
    response = csv_download(f"{screen.kind}-template.csv")
    write_template(response, screen.csv_import.columns, screen.csv_import.example_row())
    return response


class ImportViewSet(ViewSet):
    """An import's screens under `url_prefix`, and its item in the menu it is put in, shown to those who hold the
    screen's permission."""

    screen: ImportScreen = None
    icon = "upload"

    @property
    def menu_label(self):
        return self.screen.title

    def get_urlpatterns(self):
        bound = {"screen": self.screen, "namespace": self.url_namespace}
        return [
            path("", partial(upload_view, **bound), name="index"),
            path("template.csv", partial(template_view, **bound), name="template"),
            path("<int:run_id>/", partial(run_view, **bound), name="run"),
            path("<int:run_id>/progress/", partial(progress_view, **bound), name="progress"),
            path("<int:run_id>/rejected.csv", partial(rejected_view, **bound), name="rejected"),
        ]

    @property
    def menu_item_class(self):
        permission = self.screen.permission

        class ImportMenuItem(MenuItem):
            def is_shown(self, request):
                return request.user.has_perm(permission)

        return ImportMenuItem
