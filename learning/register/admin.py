"""The register in the Wagtail admin: certifications (filters, search, CSV export, validated forms), participants
(created without a password and invited), the CSV import upload, and the expiry chart on the dashboard."""

import datetime
import tempfile
from pathlib import Path

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet

from learning.accounts.services import participant_create, participant_invite
from learning.bookings.services import (
    ResultsRefused,
    issue_certifications,
    issue_plan,
    issuing_open_from,
    results_open_from,
    results_record,
)
from learning.common.spreadsheets import FormulaSafeExportMixin
from learning.models import Booking, Certification, ContinuingEducationActivity, CourseDate, User
from learning.register.certification_import import ImportFileError, import_certifications
from learning.register.models import NUMBER_FORMAT_TEXT, STATUS_CHOICES, is_certification_number
from learning.register.services import add_months, default_expiry, next_number


class CertificationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, label="Status", method="filter_status")
    expiring_within = django_filters.ChoiceFilter(
        choices=[("30", "30 days"), ("60", "60 days"), ("90", "90 days")],
        label="Expiring within",
        method="filter_expiring_within",
    )
    expired_in_last_days = django_filters.NumberFilter(
        label="Expired in the last N days", min_value=1, method="filter_expired_in_last_days"
    )

    class Meta:
        model = Certification
        fields = ["course"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    def filter_expiring_within(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.expiring_between(today, today + datetime.timedelta(days=int(value)))

    def filter_expired_in_last_days(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.expiring_between(
            today - datetime.timedelta(days=int(value)), today - datetime.timedelta(days=1)
        )


class StatusColumn(Column):
    cell_template_name = "learning/admin/status_cell.html"


class RosterColumn(Column):
    cell_template_name = "learning/admin/roster_cell.html"


class EvidenceColumn(Column):
    cell_template_name = "learning/admin/evidence_cell.html"


class CertificationIndexView(FormulaSafeExportMixin, IndexView):
    default_ordering = "expires_on"
    list_export = [
        "number",
        "participant.first_name",
        "participant.last_name",
        "participant.email",
        "course.code",
        "issued_on",
        "expires_on",
        "status",
    ]
    export_headings = {
        "participant.first_name": "First name",
        "participant.last_name": "Last name",
        "participant.email": "Email",
        "course.code": "Course",
        "status": "Status",
    }
    export_filename = "certifications"

    def get_base_queryset(self):
        return (
            Certification.objects.with_status(timezone.localdate())
            .select_related("participant", "course")
            .only(
                "number",
                "issued_on",
                "expires_on",
                "revoked_at",
                "renewed_by_id",
                "participant__first_name",
                "participant__last_name",
                "participant__email",
                "course__code",
                "course__title",
            )
        )


class CertificationForm(WagtailAdminModelForm):
    """Number and expiry may be left empty: they are then generated from the course and the issue date."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].required = False
        self.fields["number"].help_text = (
            f"Leave empty to generate the next number. A number is {NUMBER_FORMAT_TEXT}; upper and lower case are "
            "the same number."
        )
        self.fields["expires_on"].required = False
        self.fields["participant"].queryset = User.objects.order_by("last_name", "first_name")

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if not number:
            return number
        if not is_certification_number(number):
            raise forms.ValidationError(f"A certification number is {NUMBER_FORMAT_TEXT}.", code="number_format")
        # The database refuses it too; here the message lands on the field and names the holder of the number.
        taken = Certification.objects.filter(number__iexact=number).exclude(pk=self.instance.pk).first()
        if taken:
            raise forms.ValidationError(
                f"{taken.number} is already the number of another certification (upper and lower case are the "
                "same number).",
                code="number_taken",
            )
        return number

    def clean(self):
        cleaned = super().clean()
        course, issued_on = cleaned.get("course"), cleaned.get("issued_on")
        if course and issued_on:
            if not cleaned.get("expires_on"):
                cleaned["expires_on"] = default_expiry(course, issued_on)
            if not cleaned.get("number"):
                cleaned["number"] = next_number(course, issued_on)
        return cleaned


class CertificationViewSet(ModelViewSet):
    model = Certification
    icon = "success"
    menu_label = "Certifications"
    menu_order = 210
    add_to_admin_menu = True
    index_view_class = CertificationIndexView
    filterset_class = CertificationFilterSet
    list_display = [
        "number",
        Column("participant", label="Participant"),
        Column("participant_email", accessor="participant.email", label="Email"),
        Column("course_code", accessor="course.code", label="Course"),
        Column("issued_on", label="Issued", sort_key="issued_on"),
        Column("expires_on", label="Expires", sort_key="expires_on"),
        StatusColumn("status", label="Status"),
    ]
    search_fields = ["number", "participant__first_name", "participant__last_name", "participant__email"]
    search_backend_name = None
    copy_view_enabled = False
    form_fields = [
        "participant",
        "course",
        "number",
        "issued_on",
        "expires_on",
        "revoked_at",
        "revoked_reason",
        "renewed_by",
    ]

    def get_form_class(self, for_update=False):
        return type(
            "CertificationAdminForm",
            (CertificationForm,),
            {"Meta": type("Meta", (), {"model": Certification, "fields": self.form_fields})},
        )


class ParticipantForm(WagtailAdminModelForm):
    send_invitation = forms.BooleanField(
        required=False, initial=True, help_text="Email the participant a link to set their password."
    )

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "registration_number", "employer", "wants_reminders"]


class ParticipantCreateView(CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return participant_create(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            registration_number=data["registration_number"],
            employer=data["employer"],
            invite=data.get("send_invitation", False),
        )


class ParticipantFilterSet(WagtailFilterSet):
    class Meta:
        model = User
        fields = ["wants_reminders", "is_active"]


class ParticipantViewSet(ModelViewSet):
    model = User
    icon = "group"
    menu_label = "Participants"
    menu_order = 200
    add_to_admin_menu = True
    url_prefix = "participants"
    name = "participants"
    add_view_class = ParticipantCreateView
    filterset_class = ParticipantFilterSet
    list_display = ["email", "first_name", "last_name", "employer", "registration_number", "wants_reminders"]
    search_fields = ["email", "first_name", "last_name", "registration_number", "employer"]
    search_backend_name = None
    copy_view_enabled = False
    form_fields = ["email", "first_name", "last_name", "registration_number", "employer", "wants_reminders"]

    def get_form_class(self, for_update=False):
        if for_update:
            return super().get_form_class(for_update=True)
        return ParticipantForm


class CertificationImportForm(forms.Form):
    # An empty upload reaches the import, which refuses it with the columns it expected.
    file = forms.FileField(
        allow_empty_file=True,
        help_text="CSV (UTF-8, or Excel's CSV) with the columns email, first_name, last_name, course_code, number, "
        "issued_on, expires_on (optional). Dates as 2026-03-02 or 02/03/2026.",
    )
    skip_invalid = forms.BooleanField(
        required=False, help_text="Import the good rows and list the rejected ones (otherwise: all or nothing)."
    )
    invite = forms.BooleanField(required=False, help_text="Email new participants a link to set a password.")


def certification_import_view(request):
    """Upload a CSV; the same import as `manage.py import_certifications`, with its report on the page."""
    if not request.user.has_perm("learning.add_certification"):
        raise PermissionDenied
    report = error = None
    invited = 0
    form = CertificationImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload.csv"
            with open(path, "wb") as handle:
                for chunk in form.cleaned_data["file"].chunks():
                    handle.write(chunk)
            try:
                report = import_certifications(path, skip_invalid=form.cleaned_data["skip_invalid"])
            except ImportFileError as problem:
                error = str(problem).replace(str(path), form.cleaned_data["file"].name)
        if report and report.written and form.cleaned_data["invite"]:
            invited = sum(participant_invite(user) for user in User.objects.filter(pk__in=report.new_participant_ids))
    return render(
        request,
        "learning/admin/certification_import.html",
        {
            "form": form,
            "report": report,
            "error": error,
            "invited": invited,
            "rejected": (report.rejected[:500] if report else []),
        },
    )


class ExpiryChartPanel(Component):
    """Dashboard panel: certifications in force expiring in each of the next 12 months."""

    name = "certification_expiry_chart"
    template_name = "learning/admin/expiry_chart_panel.html"
    order = 110

    def get_context_data(self, parent_context):
        first = timezone.localdate().replace(day=1)
        months = [add_months(first, offset) for offset in range(12)]
        counts = dict(
            Certification.objects.expiring_between(first, add_months(first, 12) - datetime.timedelta(days=1))
            .annotate(month=TruncMonth("expires_on"))
            .values("month")
            .annotate(total=Count("pk"))
            .values_list("month", "total")
        )
        counts = {(key.date() if isinstance(key, datetime.datetime) else key): total for key, total in counts.items()}
        peak = max(counts.values(), default=0) or 1
        bars = [
            {"month": month, "count": counts.get(month, 0), "percent": round(100 * counts.get(month, 0) / peak)}
            for month in months
        ]
        return {"bars": bars, "total": sum(bar["count"] for bar in bars)}


# --- Course dates, rosters and results -------------------------------------------------------------------


class CourseDateIndexView(IndexView):
    default_ordering = "-starts_on"

    def get_base_queryset(self):
        return CourseDate.objects.with_seats().select_related("course")


class CourseDateViewSet(ModelViewSet):
    model = CourseDate
    icon = "date"
    menu_label = "Course dates"
    menu_order = 205
    add_to_admin_menu = True
    index_view_class = CourseDateIndexView
    list_filter = ["course", "booking_open"]
    list_display = [
        Column("course_code", accessor="course.code", label="Course"),
        Column("starts_on", label="Starts", sort_key="starts_on"),
        "venue",
        "instructors",
        Column("seats", label="Seats"),
        Column("booked", label="Booked"),
        Column("waiting", label="Waiting list"),
        RosterColumn("roster", label="Roster and results"),
    ]
    search_fields = ["venue", "course__code"]
    search_backend_name = None
    form_fields = ["course", "starts_on", "ends_on", "daily_start", "daily_end", "venue", "instructors", "booking_open"]


class ResultForm(forms.ModelForm):
    class Meta:
        model = Booking
        fields = ["attendance_percent", "exam_score"]
        widgets = {
            "attendance_percent": forms.NumberInput(attrs={"min": 0, "max": 100, "style": "width:6em"}),
            "exam_score": forms.NumberInput(attrs={"min": 0, "max": 100, "style": "width:6em"}),
        }


ResultFormSet = forms.modelformset_factory(Booking, form=ResultForm, extra=0)


def course_date_roster_view(request, date_id):
    """The roster of a course date: record attendance and exam scores (from the first day), see pass or fail from
    the course's facts, and go on to issue the certifications of everyone who passed (after the last day)."""
    if not request.user.has_perm("learning.change_booking"):
        raise PermissionDenied
    today = timezone.localdate()
    course_date = get_object_or_404(CourseDate.objects.select_related("course"), pk=date_id)
    bookings = (
        Booking.objects.filter(course_date=course_date)
        .exclude(status=Booking.CANCELLED)
        .select_related("participant", "certification", "course_date__course")
        .order_by("status", "participant__last_name")
    )
    confirmed = bookings.filter(status=Booking.CONFIRMED)
    formset = ResultFormSet(request.POST or None, queryset=confirmed)
    if request.method == "POST":
        if not formset.is_valid():
            messages.error(request, "Nothing was saved: see the marked fields.")
        else:
            changed = formset.save(commit=False)
            try:
                if changed:
                    results_record(course_date=course_date, bookings=changed, today=today)
            except ResultsRefused as refusal:
                messages.error(request, str(refusal))
            else:
                if changed or "issue" not in request.POST:
                    messages.success(request, "Results saved." if changed else "No result changed.")
                if "issue" not in request.POST:
                    return redirect("course_date_roster", date_id=date_id)
                try:
                    issue_plan(course_date=course_date, today=today)  # refused here rather than on the next page
                except ResultsRefused as refusal:
                    messages.error(request, str(refusal))
                    return redirect("course_date_roster", date_id=date_id)
                return redirect("course_date_issue", date_id=date_id)
    return render(
        request,
        "learning/admin/course_date_roster.html",
        {
            "course_date": course_date,
            "formset": formset,
            "waiting": bookings.filter(status=Booking.WAITLISTED),
            "results_open_from": results_open_from(course_date),
            "issuing_open_from": issuing_open_from(course_date),
            "can_record": today >= results_open_from(course_date),
            "can_issue": today >= issuing_open_from(course_date),
        },
    )


def course_date_issue_view(request, date_id):
    """The confirmation step of issuing: how many certifications will be issued and how many result emails
    sent, and to whom; issuing happens only when the administrator confirms those same numbers."""
    if not request.user.has_perm("learning.change_booking"):
        raise PermissionDenied
    today = timezone.localdate()
    course_date = get_object_or_404(CourseDate.objects.select_related("course"), pk=date_id)
    try:
        plan = issue_plan(course_date=course_date, today=today)
    except ResultsRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("course_date_roster", date_id=date_id)
    changed = False
    if request.method == "POST":
        confirmed = (request.POST.get("certifications"), request.POST.get("emails"))
        if confirmed == (str(plan.certifications), str(plan.emails)):
            issued = issue_certifications(course_date=course_date, now=timezone.now())
            messages.success(
                request,
                f"{len(issued)} certification{pluralize(len(issued))} issued; "
                f"{plan.emails} result email{pluralize(plan.emails)} sent.",
            )
            return redirect("course_date_roster", date_id=date_id)
        # Someone changed the results since this page was shown: confirm the new numbers, not the old ones.
        changed = True
    return render(
        request,
        "learning/admin/course_date_issue.html",
        {"course_date": course_date, "plan": plan, "changed": changed},
    )


# --- Continuing education ----------------------------------------------------------------------------------


class ContinuingEducationFilterSet(WagtailFilterSet):
    class Meta:
        model = ContinuingEducationActivity
        fields = ["status"]


class ContinuingEducationViewSet(ModelViewSet):
    model = ContinuingEducationActivity
    icon = "repeat"
    menu_label = "Continuing education"
    menu_order = 215
    add_to_admin_menu = True
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
    form_fields = ["participant", "title", "provider", "completed_on", "credits", "status", "review_note"]


def ce_evidence_view(request, activity_id):
    """Evidence files are never served from a public address: only administrators download them, here."""
    if not request.user.has_perm("learning.change_continuingeducationactivity"):
        raise PermissionDenied
    activity = get_object_or_404(ContinuingEducationActivity, pk=activity_id)
    if not activity.evidence:
        raise Http404("No evidence was uploaded.")
    return FileResponse(activity.evidence.open("rb"), as_attachment=True, filename=Path(activity.evidence.name).name)
