"""Continuing education in the Wagtail admin: the activities to review, with their evidence (downloaded only here),
recorded and decided through the services, so that a decision is stamped and emailed to the participant."""

from pathlib import Path

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList, Panel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, EditView

from learning.common.admin import RecordViewSet
from learning.continuing_education.forms import BoundedCreditsMixin
from learning.continuing_education.models import ContinuingEducationActivity
from learning.continuing_education.services import ce_record, ce_review

DETAILS = ["participant", "title", "provider", "completed_on", "credits"]


class EvidenceColumn(Column):
    cell_template_name = "learning/admin/evidence_cell.html"


class EvidencePanel(Panel):
    """The participant's evidence, linked on the review screen itself."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "learning/admin/evidence_panel.html"

        def get_context_data(self, parent_context=None):
            return {**super().get_context_data(parent_context), "activity": self.instance}


class ActivityForm(BoundedCreditsMixin, WagtailAdminModelForm):
    """The details, and the decision: not model fields of the form, so that only ce_review saves them."""

    decision = forms.ChoiceField(choices=ContinuingEducationActivity.Status.choices)
    note = forms.CharField(
        required=False, max_length=255, label="Note to the participant", help_text="Needed when rejecting."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["decision"].initial = self.instance.status
            self.fields["note"].initial = self.instance.review_note
        else:
            # An administrator records an activity they have checked: it is approved at once.
            del self.fields["decision"], self.fields["note"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == ContinuingEducationActivity.REJECTED and not cleaned.get("note", "").strip():
            self.add_error("note", "Say why it is rejected: the participant reads this note.")
        return cleaned


class ActivityCreateView(CreateView):
    def save_instance(self):
        details = {name: self.form.cleaned_data[name] for name in DETAILS}
        return ce_record(reviewer=self.request.user, now=timezone.now(), **details)


class ActivityEditView(EditView):
    def save_instance(self):
        activity = super().save_instance()  # the details; the decision goes through the service
        data = self.form.cleaned_data
        return ce_review(
            activity=activity,
            status=data["decision"],
            note=data["note"],
            reviewer=self.request.user,
            now=timezone.now(),
        )


class ContinuingEducationFilterSet(WagtailFilterSet):
    class Meta:
        model = ContinuingEducationActivity
        fields = ["status"]


class ContinuingEducationViewSet(RecordViewSet):
    model = ContinuingEducationActivity
    icon = "repeat"
    menu_label = "Continuing education"
    filterset_class = ContinuingEducationFilterSet
    add_view_class = ActivityCreateView
    edit_view_class = ActivityEditView
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
    inspect_view_enabled = True
    edit_handler = ObjectList(
        [*(FieldPanel(name) for name in DETAILS), EvidencePanel(), FieldPanel("decision"), FieldPanel("note")],
        base_form_class=ActivityForm,
    )


def ce_evidence_view(request, activity_id):
    """Evidence files are never served from a public address: only administrators download them, here."""
    if not request.user.has_perm("learning.change_continuingeducationactivity"):
        raise PermissionDenied
    activity = get_object_or_404(ContinuingEducationActivity, pk=activity_id)
    if not activity.evidence:
        raise Http404("No evidence was uploaded.")
    return FileResponse(activity.evidence.open("rb"), as_attachment=True, filename=Path(activity.evidence.name).name)
