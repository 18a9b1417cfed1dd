"""My team: a manager's members with their compliance, its CSV export, a member's page, booking a group of them on
a purchase order and the group bookings with their invoices, each starting from the one gate
(learning.organisations.access); and a participant leaving an organisation."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from learning.bookings.models import Booking, cancellation_deadline
from learning.bookings.services import BookingRefused, booking_cancel
from learning.common.spreadsheets import csv_stream, xlsx_download
from learning.organisations.access import team_scope_for
from learning.organisations.compliance import TeamFilter, compliance_rates
from learning.organisations.forms import GroupBookingForm, TeamFilterForm
from learning.organisations.invoices import invoice_response
from learning.organisations.models import GroupBooking, Membership, Organisation
from learning.organisations.selectors import (
    Team,
    chosen_members,
    group_booking_dates,
    group_booking_places,
    group_bookings_of,
    member_record,
    paying_organisation,
    same_group_booking,
    team_of,
)
from learning.organisations.services import (
    GroupBookingRefused,
    LeaveRefused,
    group_booking_create,
    membership_leave,
)

# Members per page of My team; the export holds every member the filters keep.
TEAM_PAGE_SIZE = 100
# A refused group booking that repeats one made this recently is the same form sent twice.
SAME_FORM_AGAIN = datetime.timedelta(minutes=10)


def no_team(request):
    """A signed-in user who manages no organisation: said plainly, with nobody's record in sight."""
    return render(request, "learning/team_none.html", status=403)


@dataclass
class FilteredTeam:
    """The team, the filter form and the filter it gives: what the page shows and the export writes alike."""

    members: Team
    form: TeamFilterForm
    chosen: TeamFilter
    today: datetime.date


def managers_only(view):
    """Runs `view(request, scope, ...)` for a manager (the gate's answer passed on), the response private and never
    stored; anyone else is told they manage no organisation."""

    @login_required
    @wraps(view)
    def gated(request, *args, **kwargs):
        scope = team_scope_for(request)
        if not scope:
            return no_team(request)
        request.private_response = True
        return view(request, scope, *args, **kwargs)

    return gated


def for_managers(view):
    """Runs `view(request, filtered)` for a manager, with their team filtered as the request asks."""

    @managers_only
    @require_GET
    @wraps(view)
    def filtered(request, scope):
        today = timezone.localdate()
        members = team_of(scope, today=today)
        form = TeamFilterForm(request.GET, team=members, tree=scope.tree)
        return view(request, FilteredTeam(members, form, form.team_filter(), today))

    return filtered


@for_managers
def team(request, filtered: FilteredTeam):
    return team_page(request, filtered)


def team_page(request, filtered: FilteredTeam, status: int = 200):
    """My team as the filters show it; their errors, if any, on their fields."""
    members, form, chosen, today = filtered.members, filtered.form, filtered.chosen, filtered.today
    in_organisation = chosen.in_organisation(members.rows)
    rows = chosen.rows(members.rows)
    query = request.GET.copy()
    query.pop("page", None)
    page = Paginator(rows, TEAM_PAGE_SIZE).get_page(request.GET.get("page"))
    courses = [course for course in members.courses if chosen.course_id in (None, course.pk)]
    for row in page.object_list:
        row.columns = row.cells(courses)
    return render(
        request,
        "learning/team.html",
        {
            "form": form,
            "page": page,
            "count": len(rows),
            "courses": courses,
            "rates": compliance_rates(in_organisation, members.courses),
            "trends": members.trend(in_organisation, today),
            "query": query.urlencode(),
            "today": today,
        },
        status=status,
    )


EXPORT_HEADINGS = [
    "Last name",
    "First name",
    "Email",
    "Organisations",
    "Course",
    "Status",
    "Certification",
    "Expires on",
    "Days left",
    "Booked on",
    "Booking",
]


def export_lines(rows):
    """One line per member and required course, as My team shows them; a member with nothing required gets one
    line with the course empty, so that the export lists exactly the members the page lists."""
    for row in rows:
        person = [row.participant.last_name, row.participant.first_name, row.participant.email]
        organisations = "; ".join(row.organisations)
        for check in row.checks or [None]:
            if check is None:
                yield [*person, organisations, "", "", "", "", "", "", ""]
                continue
            certification, booking = check.certification, check.booking
            yield [
                *person,
                organisations,
                check.course.code,
                check.label,
                certification.number if certification else "",
                certification.expires_on.isoformat() if certification else "",
                check.days_left if check.days_left is not None else "",
                booking.course_date.starts_on.isoformat() if booking else "",
                booking.get_status_display() if booking else "",
            ]


def export_of(filtered: FilteredTeam) -> tuple[str, list[str], Iterable[list]]:
    """Exactly the members the same filters show on My team, every page of them: a file name (without its
    extension), the headings and the lines."""
    return (
        f"team-{filtered.today.isoformat()}",
        EXPORT_HEADINGS,
        export_lines(filtered.chosen.rows(filtered.members.rows)),
    )


def refused_export(request, filtered: FilteredTeam):
    """A filter the form refused would export more members than were asked for: no file, but My team with the
    filter's error, so that the manager sees what to correct."""
    messages.error(request, "Nothing was downloaded: correct the filters below first.")
    return team_page(request, filtered, status=400)


@for_managers
def team_export(request, filtered: FilteredTeam):
    """The CSV, written as it is sent."""
    if filtered.form.errors:
        return refused_export(request, filtered)
    name, headings, lines = export_of(filtered)
    return csv_stream(f"{name}.csv", headings, lines)


@for_managers
def team_export_xlsx(request, filtered: FilteredTeam):
    """The same as an Excel workbook."""
    if filtered.form.errors:
        return refused_export(request, filtered)
    name, headings, lines = export_of(filtered)
    return xlsx_download(f"{name}.xlsx", headings, lines)


@login_required
@require_GET
def team_member(request, participant_id):
    """One member's standing, certifications and upcoming bookings; "not found" for anyone the gate keeps out,
    so that the address says nothing of who is registered."""
    scope = team_scope_for(request)
    today = timezone.localdate()
    record = member_record(scope, participant_id, today=today) if scope else None
    if record is None:
        raise Http404("No such member of your team.")
    request.private_response = True
    return render(request, "learning/team_member.html", {"record": record, "today": today})


@login_required
@require_http_methods(["GET", "POST"])
def leave_organisation(request, membership_id):
    """GET asks for confirmation (or says why it cannot be left); POST leaves, and the managers are told."""
    membership = get_object_or_404(
        Membership.objects.select_related("organisation"), pk=membership_id, participant=request.user
    )
    if request.method == "GET":
        return render(request, "learning/leave_organisation.html", {"membership": membership})
    try:
        membership_leave(membership=membership)
    except LeaveRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"You have left {membership.organisation}: its managers no longer see your record.")
    return redirect("dashboard")


def ids_in(values) -> list[int]:
    """The whole numbers among `values` (ids from an address or a form); anything else names nobody."""
    # More digits than an id can have would only make the database refuse the query.
    return [int(value) for value in values if value.isascii() and value.isdigit() and len(value) <= 18]


@managers_only
@require_http_methods(["GET", "POST"])
def group_booking_new(request, scope):
    """GET offers the members chosen on My team (`?participants=…`, only those the gate lets through); POST books
    them, each id checked through the gate again, or shows what stops it, person by person."""
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else None
    wanted = ids_in((data or request.GET).getlist("participants"))
    chosen = chosen_members(scope, wanted)
    form = GroupBookingForm(
        data,
        chosen=chosen,
        organisation_paths={pk: scope.tree.path(pk) for pk in sorted(scope.organisation_ids, key=scope.tree.path)},
        dates=group_booking_dates(today),
        initial={"participants": [c.pk for c in chosen], "organisation": paying_organisation(scope, chosen)},
    )
    context = {"form": form, "chosen": chosen, "left_out": len(set(wanted) - {c.pk for c in chosen})}
    if data is None:
        return render(request, "learning/group_booking_new.html", context)
    if not form.is_valid():
        return render(request, "learning/group_booking_new.html", context, status=400)
    try:
        group = book_group(request, scope, form.cleaned_data)
    except GroupBookingRefused as refusal:
        since = timezone.now() - SAME_FORM_AGAIN
        if made := same_group_booking(scope, manager=request.user, cleaned=form.cleaned_data, since=since):
            messages.info(
                request, "This group booking was made already (the form was sent twice): nothing more was booked."
            )
            return redirect("group_booking", group_booking_id=made.pk)
        return render(request, "learning/group_booking_new.html", {**context, "refusal": refusal}, status=409)
    return redirect("group_booking", group_booking_id=group.pk)


def book_group(request, scope, cleaned: dict) -> GroupBooking:
    group = group_booking_create(
        manager=request.user,
        # One of the manager's own: the form offers and accepts no other.
        organisation=Organisation.objects.get(pk=cleaned["organisation"]),
        course_date=cleaned["course_date"],
        participant_ids=cleaned["participants"],
        purchase_order=cleaned["purchase_order"],
        seating=cleaned["seating"],
        now=timezone.now(),
    )
    places = group.bookings.all()
    seated = sum(booking.status == Booking.CONFIRMED for booking in places)
    waiting = f", {len(places) - seated} on the waiting list" if len(places) > seated else ""
    messages.success(
        request,
        f"Booked on {group.course_date} on purchase order {group.purchase_order}: {seated} with a seat{waiting}. "
        "Each of them is emailed their booking with a calendar invitation.",
    )
    return group


@managers_only
@require_GET
def group_bookings(request, scope):
    """The group bookings of the manager's organisations, whoever made them, newest first."""
    return render(request, "learning/group_bookings.html", {"group_bookings": group_bookings_of(scope)})


def visible_group_booking(scope, group_booking_id) -> GroupBooking:
    """The group booking if the gate lets the manager see it; "not found" otherwise, so that an address says
    nothing of another organisation's bookings."""
    return get_object_or_404(
        scope.group_bookings().select_related("organisation", "course_date__course", "manager"), pk=group_booking_id
    )


@managers_only
@require_GET
def group_booking(request, scope, group_booking_id):
    group = visible_group_booking(scope, group_booking_id)
    return render(
        request,
        "learning/group_booking.html",
        {"group": group, "places": group_booking_places(group), "organisation": scope.tree.path(group.organisation_id)},
    )


@managers_only
@require_http_methods(["GET", "POST"])
def group_booking_place_cancel(request, scope, group_booking_id, booking_id):
    """A manager cancels one place of a group booking they see (or takes it off the waiting list), up to the
    participant's cut-off: GET says what will happen, POST does it. The participant is emailed, a freed seat goes
    to the waiting list, and the manager who made the booking is told if it was someone else."""
    group = visible_group_booking(scope, group_booking_id)
    booking = get_object_or_404(
        Booking.objects.select_related("participant", "course_date__course").exclude(status=Booking.CANCELLED),
        pk=booking_id,
        group_place__group_booking=group,
    )
    if request.method == "GET":
        deadline = cancellation_deadline(group.course_date)
        context = {"group": group, "booking": booking, "deadline": deadline, "open": timezone.localdate() <= deadline}
        return render(request, "learning/group_place_cancel.html", context)
    try:
        booking_cancel(booking=booking, now=timezone.now(), by=request.user)
    except BookingRefused as refusal:
        messages.error(request, str(refusal))
    else:
        done = "taken off the waiting list" if booking.status == Booking.WAITLISTED else "place cancelled"
        messages.success(request, f"{booking.participant}: {done}. They are emailed; the invoice counts it no more.")
    return redirect("group_booking", group_booking_id=group.pk)


@managers_only
@require_GET
def group_booking_invoice(request, scope, group_booking_id):
    return invoice_response(visible_group_booking(scope, group_booking_id))
