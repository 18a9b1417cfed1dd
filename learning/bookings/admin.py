"""Course dates in the Wagtail admin: their seats and waiting lists, the roster where results are recorded (with its
sign-in sheet and its CSV), and the confirmed issuing of certifications."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import DeleteView, EditView, IndexView

from learning.bookings.models import (
    RESULT_FIELDS,
    Booking,
    CourseDate,
    required_assessments,
    roster_fields,
)
from learning.bookings.roster_export import write_roster
from learning.bookings.selectors import confirmed_bookings
from learning.bookings.services import (
    BookingRefused,
    ResultsRefused,
    attendance_mark_all,
    booking_cancel,
    issue_certifications,
    issue_plan,
    issuing_open_from,
    locked_date,
    reschedule_announce,
    results_open_from,
    results_record,
    schedule_change_refusal,
    serve_waiting_list,
)
from learning.bookings.sign_in_sheet import sign_in_sheet_pdf
from learning.common.admin import RecordViewSet, row_action
from learning.common.spreadsheets import csv_download


class RosterColumn(Column):
    """How many hold a seat, linking to the roster for those who may keep it."""

    cell_template_name = "learning/admin/roster_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["may_keep_rosters"] = may_keep_rosters(parent_context["request"].user)
        return context


class CourseDateIndexView(IndexView):
    default_ordering = "-starts_on"

    def get_base_queryset(self):
        return CourseDate.objects.with_seats().select_related("course")

    def get_list_more_buttons(self, instance):
        """Besides editing and deleting, each date's row leads to its roster and what is printed from it."""
        buttons = super().get_list_more_buttons(instance)
        if may_keep_rosters(self.request.user):
            buttons += [
                row_action("Roster and results", "course_date_roster", instance.pk, icon="list-ul", priority=15),
                row_action(
                    "Sign-in sheet (PDF)", "course_date_sign_in_sheet", instance.pk, icon="doc-full", priority=16
                ),
                row_action("Roster (CSV)", "course_date_roster_csv", instance.pk, icon="download", priority=17),
            ]
        return buttons


class CourseDateEditView(EditView):
    """A course date's edit screen."""

    def form_valid(self, form):
        """Saves under the date's lock, after counting its seats held again (a booking made while the form was
        open, for bookings take the same lock, may not be left without a seat by instructors taken away) and
        refusing what may not change on a date people hold places on."""
        with transaction.atomic():
            self.before = locked_date(self.object.pk)
            try:
                form.instance.clean_seats()
                refusals = schedule_change_refusal(self.before, form.instance, today=timezone.localdate())
                if refusals:
                    raise ValidationError(refusals)
            except ValidationError as refusal:
                form.add_error(None, refusal)
                self.produced_error_message = self.get_error_message()
                return self.form_invalid(form)
            return super().form_valid(form)

    def save_instance(self):
        """Saves the date. Those booked on it are told of new days, times or venue; seats it gained (more
        instructors) go to its waiting list at once, who are emailed, unless the course has begun."""
        course_date, today = super().save_instance(), timezone.localdate()
        if told := reschedule_announce(self.before, course_date, today=today):
            messages.success(
                self.request,
                f"{told} {pluralize(told, 'person,people')} booked on this date {pluralize(told, 'is,are')} being "
                "emailed the change.",
            )
        # form_valid holds the date's lock: the saved date's seats are served under it.
        _, promoted = serve_waiting_list(course_date, today=today)
        if promoted:
            count = len(promoted)
            messages.success(
                self.request,
                f"{count} {pluralize(count, 'person,people')} from the waiting list moved into the new seats and "
                f"{pluralize(count, 'is,are')} being emailed.",
            )
        return course_date


class CourseDateDeleteView(DeleteView):
    """A date someone booked is not deleted: their bookings, cancelled ones too, and any group booking's invoice
    name it. The page says so and offers no button; closing the date's booking is the way to retire it."""

    template_name = "learning/admin/course_date_confirm_delete.html"

    def booked(self) -> int:
        if not hasattr(self, "_booked"):
            self._booked = self.object.bookings.count()
        return self._booked

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["booked"] = self.booked()
        context["is_protected"] = context.get("is_protected") or bool(self.booked())
        return context

    def form_valid(self, form):
        try:
            if not self.booked():
                with transaction.atomic():
                    return super().form_valid(form)
        except ProtectedError:  # booked in the meantime
            pass
        messages.error(self.request, f"{self.object} has bookings, so it was not deleted: close its booking instead.")
        return redirect("course_dates:edit", self.object.pk)


class CourseDateViewSet(RecordViewSet):
    model = CourseDate
    icon = "date"
    menu_label = "Course dates"
    index_view_class = CourseDateIndexView
    edit_view_class = CourseDateEditView
    delete_view_class = CourseDateDeleteView
    list_filter = ["course", "booking_open"]
    list_display = [
        # The first column of the listing links to the date's edit screen and carries its row actions.
        "__str__",
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


def may_keep_rosters(user) -> bool:
    return user.has_perm("learning.change_booking")


def may_issue(user) -> bool:
    """Issuing writes certifications into the register: keeping rosters is not enough."""
    return user.has_perms(["learning.change_booking", "learning.add_certification"])


def roster_url(course_date: CourseDate) -> str:
    return reverse("course_date_roster", args=[course_date.pk])


class PassedSelect(forms.NullBooleanSelect):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "Not recorded"), ("true", "Passed"), ("false", "Not passed")]


PERCENT_INPUT = {"min": 0, "max": 100, "style": "width:6em"}
# What each result is, for the inputs' labels ("Attendance for Ann Lee") and the roster's column headings.
RESULT_NAMES = {
    "attendance_percent": "Attendance",
    "exam_score": "Written exam score",
    "practical_passed": "Practical assessment",
    "scenario_passed": "Scenario assessment",
}
RESULT_HEADINGS = {**RESULT_NAMES, "attendance_percent": "Attendance %", "exam_score": "Written exam %"}


class ResultForm(forms.ModelForm):
    """A participant's row of the roster. Each input's label names the participant as well as the result, because
    the column heading above it is not announced with the input."""

    class Meta:
        model = Booking
        fields = RESULT_FIELDS
        widgets = {
            "attendance_percent": forms.NumberInput(attrs=PERCENT_INPUT),
            "exam_score": forms.NumberInput(attrs=PERCENT_INPUT),
            "practical_passed": PassedSelect,
            "scenario_passed": PassedSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.label = f"{RESULT_NAMES[name]} for {self.instance.participant}"


def roster_formset(course_date: CourseDate, data=None):
    """The roster's form: a row per confirmed booking, an input for each result the course requires."""
    formset_class = forms.modelformset_factory(
        Booking, form=ResultForm, fields=roster_fields(course_date.course), extra=0
    )
    return formset_class(data, queryset=confirmed_bookings(course_date).select_related("certification"))


def roster_course_date(request, date_id) -> CourseDate:
    if not may_keep_rosters(request.user):
        raise PermissionDenied
    return get_object_or_404(CourseDate.objects.select_related("course"), pk=date_id)


def course_date_cancel_booking_view(request, date_id, booking_id):
    """The training office cancels a booking, or takes someone off the waiting list, whatever the participant's
    cut-off: GET says what will happen, POST does it. The participant is emailed, a freed seat goes to the
    waiting list, and the manager who paid for the place is told (booking_cancel)."""
    course_date = roster_course_date(request, date_id)
    booking = get_object_or_404(
        Booking.objects.select_related("participant", "group_place__group_booking__organisation").exclude(
            status=Booking.CANCELLED
        ),
        pk=booking_id,
        course_date=course_date,
    )
    if request.method != "POST":
        next_waiting = (
            Booking.objects.filter(course_date=course_date, status=Booking.WAITLISTED)
            .select_related("participant")
            .order_by("created_at", "pk")
            .first()
        )
        context = {
            "course_date": course_date,
            "booking": booking,
            "next_waiting": next_waiting,
            "today": timezone.localdate(),
        }
        return render(request, "learning/admin/booking_cancel.html", context)
    try:
        promoted = booking_cancel(booking=booking, now=timezone.now(), by=request.user, by_administrator=True)
    except BookingRefused as refusal:
        messages.error(request, str(refusal))
    else:
        done = "taken off the waiting list" if booking.status == Booking.WAITLISTED else "booking cancelled"
        moved = f" {promoted.participant} moved in from the waiting list." if promoted else ""
        messages.success(request, f"{booking.participant}: {done}, and emailed.{moved}")
    return redirect(roster_url(course_date))


def course_date_roster_view(request, date_id):
    """The roster of a course date: record attendance and every assessment the course requires (from the first
    day), see pass or fail from the course's facts, and go on to issue the certifications of everyone who passed
    (after the last day)."""
    today = timezone.localdate()
    course_date = roster_course_date(request, date_id)
    formset = roster_formset(course_date, request.POST or None)
    if request.method == "POST" and (refusal := roster_post_refusal(course_date, request.POST)):
        # Save nothing, and show the roster as it is now, with what was typed for everyone still on it.
        messages.error(request, refusal)
        formset = roster_formset(course_date, posted_for_current_rows(course_date, request.POST))
    elif request.method == "POST":
        followed = save_roster(request, formset, course_date=course_date, today=today)
        if followed is not None:
            return followed
    waiting = Booking.objects.filter(course_date=course_date, status=Booking.WAITLISTED).select_related("participant")
    return render(
        request,
        "learning/admin/course_date_roster.html",
        {
            "course_date": course_date,
            "formset": formset,
            "result_headings": [RESULT_HEADINGS[name] for name in roster_fields(course_date.course)],
            "required_assessments": required_assessments(course_date.course),
            "waiting": waiting.order_by("created_at", "pk"),
            "results_open_from": results_open_from(course_date),
            "issuing_open_from": issuing_open_from(course_date),
            "can_record": today >= results_open_from(course_date),
            "can_issue": today >= issuing_open_from(course_date),
            "may_issue": may_issue(request.user),
        },
    )


# A roster posts one row per booking: the page refuses to read more rows than any course date could hold.
MOST_ROWS = 1000


def posted_rows(data) -> dict[str, dict[str, str]]:
    """The booking id each posted row names (as text, whatever was sent), with the results posted for it."""
    try:
        total = min(int(data.get("form-TOTAL_FORMS", 0)), MOST_ROWS)
    except ValueError:
        total = 0
    return {
        str(data.get(f"form-{index}-id", "")): {
            name: data[f"form-{index}-{name}"] for name in RESULT_FIELDS if f"form-{index}-{name}" in data
        }
        for index in range(total)
    }


def roster_post_refusal(course_date: CourseDate, data) -> str | None:
    """Why a posted roster is not saved as it is, or None: it is not the form of a roster (its row counts were
    changed), or some of its rows are no longer on this roster (a booking was cancelled while the page was open,
    or a row names another date's booking or none)."""
    total, initial = data.get("form-TOTAL_FORMS", ""), data.get("form-INITIAL_FORMS", "")
    if not total.isdigit() or total != initial or int(total) > MOST_ROWS:
        return "Nothing was saved: what was sent is not this roster's form. The roster as it is now is below."
    if left := rows_no_longer_on_the_roster(course_date, data):
        count = len(left)
        return (
            f"Nothing was saved: {count} of the rows you sent {pluralize(count, 'is,are')} no longer on this roster "
            "(a booking was cancelled or moved since you opened it). What you typed for everyone still on it is "
            "filled in below: check it and save again."
        )
    return None


def rows_no_longer_on_the_roster(course_date: CourseDate, data) -> list[str]:
    """The posted rows whose booking is not a confirmed one of this date now (cancelled, moved, or not a booking
    id at all)."""
    current = {str(pk) for pk in confirmed_bookings(course_date).values_list("pk", flat=True)}
    return [pk for pk in posted_rows(data) if pk not in current]


def posted_for_current_rows(course_date: CourseDate, data) -> QueryDict:
    """The roster's form data for the bookings on it now: each row's posted results where it was sent, its
    recorded ones otherwise."""
    posted, fields = posted_rows(data), roster_fields(course_date.course)
    rows = list(confirmed_bookings(course_date))
    rebuilt = QueryDict(mutable=True)
    rebuilt.update({"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows), "form-MIN_NUM_FORMS": 0})
    for index, booking in enumerate(rows):
        sent = posted.get(str(booking.pk))
        rebuilt[f"form-{index}-id"] = booking.pk
        for name in fields:
            # A recorded result as its input posts it: the widget's own spelling (a number, "true", "unknown").
            recorded = ResultForm.base_fields[name].widget.format_value(getattr(booking, name))
            rebuilt[f"form-{index}-{name}"] = sent.get(name, "") if sent is not None else recorded or ""
    return rebuilt


def save_roster(request, formset, *, course_date: CourseDate, today):
    """Records the posted results (and, when asked, full attendance for everyone still without one); the redirect
    to follow, or None when the roster is shown again with what was refused."""
    if not formset.is_valid():
        messages.error(request, "Nothing was saved: see the marked fields.")
        return None
    changed = formset.save(commit=False)
    try:
        if changed:
            results_record(course_date=course_date, bookings=changed, today=today)
        marked = (
            attendance_mark_all(course_date=course_date, today=today) if "mark_all_attended" in request.POST else []
        )
    except ResultsRefused as refusal:
        messages.error(request, str(refusal))
        return None
    report_saved(request, changed=changed, marked=marked)
    if "issue" not in request.POST:
        return redirect(roster_url(course_date))
    if not may_issue(request.user):
        messages.error(request, "Issuing certifications needs the permission to add them: ask an administrator.")
        return redirect(roster_url(course_date))
    try:
        issue_plan(course_date=course_date, today=today)  # refused here rather than on the next page
    except ResultsRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(roster_url(course_date))
    return redirect("course_date_issue", date_id=course_date.pk)


def report_saved(request, *, changed: list[Booking], marked: list[Booking]) -> None:
    if marked:
        count = len(marked)
        messages.success(request, f"Attendance of 100% recorded for {count} participant{pluralize(count)}.")
    if changed:
        messages.success(request, "Results saved.")
    elif not marked and "issue" not in request.POST:
        nobody = "mark_all_attended" in request.POST
        messages.success(request, "Everyone already has an attendance." if nobody else "No result changed.")


@never_cache
def course_date_roster_csv_view(request, date_id):
    """The roster as a CSV file, for the training office's own records."""
    course_date = roster_course_date(request, date_id)
    response = csv_download(f"{export_name(course_date)}-roster.csv")
    write_roster(response, course_date)
    return response


@never_cache
def course_date_sign_in_sheet_view(request, date_id):
    """The sign-in sheet to print for each day of the course."""
    course_date = roster_course_date(request, date_id)
    pdf = sign_in_sheet_pdf(course_date, list(confirmed_bookings(course_date)))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{export_name(course_date)}-sign-in-sheet.pdf"'
    return response


def export_name(course_date: CourseDate) -> str:
    return f"{slugify(course_date.course.code)}-{course_date.starts_on:%Y-%m-%d}"


ALREADY_ISSUED = "These results were issued already: nothing more was issued or sent."
NOTHING_TO_ISSUE = "Nothing was issued: no recorded result decides a pass or a fail yet."


def course_date_issue_view(request, date_id):
    """The confirmation step of issuing: how many certifications will be issued and how many result emails
    sent, and to whom; issuing happens only when the administrator confirms those same numbers."""
    if not may_issue(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    course_date = get_object_or_404(CourseDate.objects.select_related("course"), pk=date_id)
    try:
        plan = issue_plan(course_date=course_date, today=today)
    except ResultsRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("course_date_roster", date_id=date_id)
    changed = False
    if request.method == "POST" and not (plan.certifications or plan.emails):
        # The same confirmation again (a double click, the back button), or nothing decided yet.
        done = Booking.objects.filter(course_date=course_date, result_sent_at__isnull=False).exists()
        messages.info(request, ALREADY_ISSUED if done else NOTHING_TO_ISSUE)
        return redirect("course_date_roster", date_id=date_id)
    if request.method == "POST":
        confirmed = (request.POST.get("certifications"), request.POST.get("emails"))
        if confirmed == (str(plan.certifications), str(plan.emails)):
            issued = issue_certifications(course_date=course_date, now=timezone.now())
            count, emails = len(issued.certifications), issued.emails
            if count or emails:
                messages.success(
                    request,
                    f"{count} certification{pluralize(count)} issued; {emails} result email{pluralize(emails)} sent.",
                )
            else:  # another administrator's confirmation got there first
                messages.info(request, ALREADY_ISSUED)
            return redirect("course_date_roster", date_id=date_id)
        # Someone changed the results since this page was shown: confirm the new numbers, not the old ones.
        changed = True
    return render(
        request,
        "learning/admin/course_date_issue.html",
        {"course_date": course_date, "plan": plan, "changed": changed},
    )
