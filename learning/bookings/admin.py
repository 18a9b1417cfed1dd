"""Course dates in the Wagtail admin: their seats and waiting lists, the roster where results are recorded, and
the confirmed issuing of certifications."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView

from learning.bookings.models import Booking, CourseDate
from learning.bookings.services import (
    ResultsRefused,
    issue_certifications,
    issue_plan,
    issuing_open_from,
    results_open_from,
    results_record,
)
from learning.common.admin import RecordViewSet


class RosterColumn(Column):
    cell_template_name = "learning/admin/roster_cell.html"


class CourseDateIndexView(IndexView):
    default_ordering = "-starts_on"

    def get_base_queryset(self):
        return CourseDate.objects.with_seats().select_related("course")


class CourseDateViewSet(RecordViewSet):
    model = CourseDate
    icon = "date"
    menu_label = "Course dates"
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
    copy_view_enabled = True
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
    formset = ResultFormSet(request.POST or None, queryset=bookings.filter(status=Booking.CONFIRMED))
    if request.method == "POST":
        followed = save_roster(request, formset, course_date=course_date, today=today)
        if followed is not None:
            return followed
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


def save_roster(request, formset, *, course_date: CourseDate, today):
    """Records the posted results; the redirect to follow, or None when the roster is shown again with what was
    refused."""
    if not formset.is_valid():
        messages.error(request, "Nothing was saved: see the marked fields.")
        return None
    changed = formset.save(commit=False)
    try:
        if changed:
            results_record(course_date=course_date, bookings=changed, today=today)
    except ResultsRefused as refusal:
        messages.error(request, str(refusal))
        return None
    if changed or "issue" not in request.POST:
        messages.success(request, "Results saved." if changed else "No result changed.")
    if "issue" not in request.POST:
        return redirect("course_date_roster", date_id=course_date.pk)
    try:
        issue_plan(course_date=course_date, today=today)  # refused here rather than on the next page
    except ResultsRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("course_date_roster", date_id=course_date.pk)
    return redirect("course_date_issue", date_id=course_date.pk)


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
