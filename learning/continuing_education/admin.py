"""Continuing education in the Wagtail admin: the activities to review, and their evidence, downloaded only here."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from learning.continuing_education.models import ContinuingEducationActivity


class EvidenceColumn(Column):
    cell_template_name = "learning/admin/evidence_cell.html"


class ContinuingEducationFilterSet(WagtailFilterSet):
    class Meta:
        model = ContinuingEducationActivity
        fields = ["status"]


class ContinuingEducationViewSet(ModelViewSet):
    model = ContinuingEducationActivity
    icon = "repeat"
    menu_label = "Continuing education"
    menu_order = 215
    add_to_admin_menu = False  # listed in the "Register" menu group (wagtail_hooks.py)
    filterset_class = ContinuingEducationFilterSet
    list_display = [
        "title",
        Column("participant", label="Participant"),
        "provider",
        "completed_on",
        "credits",
        "status",
        EvidenceColumn("evidence", label="Evidence"),
    ]
    search_fields = ["title", "provider", "participant__email", "participant__last_name"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields = ["participant", "title", "provider", "completed_on", "credits", "status", "review_note"]


def ce_evidence_view(request, activity_id):
    """Evidence files are never served from a public address: only administrators download them, here."""
    if not request.user.has_perm("learning.change_continuingeducationactivity"):
        raise PermissionDenied
    activity = get_object_or_404(ContinuingEducationActivity, pk=activity_id)
    if not activity.evidence:
        raise Http404("No evidence was uploaded.")
    return FileResponse(activity.evidence.open("rb"), as_attachment=True, filename=Path(activity.evidence.name).name)
