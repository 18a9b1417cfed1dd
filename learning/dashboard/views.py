"""My portal: the participant's dashboard."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from learning.accounts.models import User
from learning.bookings.selectors import upcoming_bookings
from learning.continuing_education.models import ContinuingEducationActivity
from learning.dashboard.selectors import certification_rows, plan_renewals
from learning.materials.entitlement import readable_materials
from learning.materials.models import MaterialPage, mark_unread
from learning.organisations.access import team_scope_for
from learning.organisations.selectors import memberships_of


@login_required
@never_cache
def dashboard(request):
    today = timezone.localdate()
    rows = certification_rows(request.user, today)
    bookings = upcoming_bookings(request.user, today)
    activities = ContinuingEducationActivity.objects.filter(participant=request.user)[:20]
    start_materials_baseline(request.user)
    return render(
        request,
        "learning/dashboard.html",
        {
            "rows": [row for row in rows if row["in_force"]],
            "history": [row for row in rows if not row["in_force"]],
            "today": today,
            "needs_renewal": plan_renewals(rows, bookings, today),
            "bookings": bookings,
            "activities": activities,
            "groups": mark_unread(request.user, readable_materials(request, MaterialPage.objects.live())),
            "memberships": memberships_of(request.user),
            "manages": bool(team_scope_for(request)),
        },
    )


def start_materials_baseline(user: User) -> None:
    """The first look at My materials sets the baseline of the "New" badges: what was already published then
    starts read; everything after is new until opened (learning.materials.models.mark_unread)."""
    if user.materials_seen_at is None:
        user.materials_seen_at = timezone.now()
        User.objects.filter(pk=user.pk, materials_seen_at__isnull=True).update(materials_seen_at=user.materials_seen_at)
