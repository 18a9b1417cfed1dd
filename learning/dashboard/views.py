"""My portal: the participant's dashboard."""

import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from learning.accounts.models import User
from learning.bookings.selectors import upcoming_bookings
from learning.continuing_education.models import ContinuingEducationActivity
from learning.dashboard.selectors import certification_rows, plan_renewals
from learning.materials.entitlement import readable_materials
from learning.materials.models import MaterialPage


@login_required
@never_cache
def dashboard(request):
    today = timezone.localdate()
    rows = certification_rows(request.user, today)
    bookings = upcoming_bookings(request.user, today)
    activities = ContinuingEducationActivity.objects.filter(participant=request.user)[:20]
    seen_at = materials_seen_before(request.user)
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
            "groups": readable_materials(request.user, MaterialPage.objects.live()),
            "seen_at": seen_at,
        },
    )


def materials_seen_before(user: User) -> datetime.datetime | None:
    """When the user last saw My portal; this visit becomes the next one's reference ("new" and "updated" are
    since the previous visit)."""
    seen_at = user.materials_seen_at
    User.objects.filter(pk=user.pk).update(materials_seen_at=timezone.now())
    return seen_at
