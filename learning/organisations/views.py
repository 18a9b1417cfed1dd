"""My team: a manager's members with their compliance, its CSV export and a member's page, each starting from
the one gate (learning.organisations.access); and a participant leaving an organisation."""

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

from learning.common.spreadsheets import csv_stream, xlsx_download
from learning.organisations.access import team_scope_for
from learning.organisations.compliance import TeamFilter, compliance_rates
from learning.organisations.forms import TeamFilterForm
from learning.organisations.models import Membership
from learning.organisations.selectors import Team, member_record, team_of
from learning.organisations.services import LeaveRefused, membership_leave

# Members per page of My team; the export holds every member the filters keep.
TEAM_PAGE_SIZE = 100


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


def for_managers(view):
    """Runs `view(request, filtered)` for a manager, with their team filtered as the request asks; anyone else is
    told they manage no organisation. The response is private and never stored."""

    @login_required
    @require_GET
    @wraps(view)
    def gated(request):
        scope = team_scope_for(request)
        if not scope:
            return no_team(request)
        request.private_response = True
        today = timezone.localdate()
        members = team_of(scope, today=today)
        form = TeamFilterForm(request.GET, team=members, tree=scope.tree)
        return view(request, FilteredTeam(members, form, form.team_filter(), today))

    return gated


@for_managers
def team(request, filtered: FilteredTeam):
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


@for_managers
def team_export(request, filtered: FilteredTeam):
    """The CSV, written as it is sent."""
    name, headings, lines = export_of(filtered)
    return csv_stream(f"{name}.csv", headings, lines)


@for_managers
def team_export_xlsx(request, filtered: FilteredTeam):
    """The same as an Excel workbook."""
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
