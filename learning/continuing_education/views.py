"""A participant submits a continuing-education activity for the training office to review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from learning.continuing_education.forms import ContinuingEducationForm
from learning.continuing_education.models import ContinuingEducationActivity
from learning.continuing_education.services import ce_submit


@login_required
def submit_continuing_education(request):
    form = ContinuingEducationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and not submitted_already(request.user, form):
        ce_submit(participant=request.user, **form.cleaned_data)
        messages.success(request, "Thank you: your activity is waiting for review by the training office.")
        return redirect("dashboard")
    return render(request, "learning/ce_form.html", {"form": form})


def submitted_already(participant, form) -> bool:
    """The same activity (title, provider and day) submitted before and not rejected: the form sent twice, or
    again from the back button. Said on the form, and nothing is added."""
    data = form.cleaned_data
    earlier = (
        ContinuingEducationActivity.objects.filter(
            participant=participant,
            title__iexact=data["title"],
            provider__iexact=data["provider"],
            completed_on=data["completed_on"],
        )
        .exclude(status=ContinuingEducationActivity.REJECTED)
        .first()
    )
    if earlier is None:
        return False
    form.add_error(
        None,
        f"You submitted this activity already, on {timezone.localtime(earlier.submitted_at):%-d %B %Y} "
        f"({earlier.get_status_display().lower()}): see My portal.",
    )
    return True
