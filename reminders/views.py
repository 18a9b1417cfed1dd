"""Unsubscribe (one click, no sign-in, RFC 8058), from reminders, from guideline updates or from a manager's digest,
and the user's email preferences."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from learning.models import User
from learning.organisations.access import team_scope
from reminders.emails import participant_for_token
from reminders.models import Suppression
from reminders.tracking import suppress


def reminders_off(participant) -> None:
    participant.wants_reminders = False
    participant.save(update_fields=["wants_reminders"])
    suppress(participant.email, Suppression.UNSUBSCRIBED, "one-click unsubscribe")


def reminders_on(participant) -> None:
    participant.wants_reminders = True
    participant.save(update_fields=["wants_reminders"])
    Suppression.objects.of_address(participant.email).filter(reason=Suppression.UNSUBSCRIBED).delete()


def guideline_updates_set(participant, wanted: bool) -> None:
    participant.wants_guideline_updates = wanted
    participant.save(update_fields=["wants_guideline_updates"])


def manager_digest_set(manager, wanted: bool) -> None:
    manager.wants_manager_digest = wanted
    manager.save(update_fields=["wants_manager_digest"])


STOPS = {
    "reminders": reminders_off,
    "guideline_updates": lambda participant: guideline_updates_set(participant, False),
    "manager_digests": lambda manager: manager_digest_set(manager, False),
}


# No CSRF token: mail clients post the one-click request (RFC 8058) without one. The signed token in the address
# is what proves the request comes from the email, and the only thing it can do is stop reminders.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token, topic="reminders"):
    participant = participant_for_token(token, topic)
    context = {"topic": topic, "participant": participant, "token": token}
    if participant is None:
        return render(request, "reminders/unsubscribe.html", {**context, "invalid": True}, status=400)
    if request.method == "POST":
        STOPS[topic](participant)
        # 200 and no redirect: one-click clients expect the answer here.
        return render(request, "reminders/unsubscribe.html", {**context, "done": True})
    # A GET never unsubscribes: mail scanners open links. It shows the button.
    return render(request, "reminders/unsubscribe.html", context)


class PreferencesForm(forms.ModelForm):
    """The participant's switches, in their own words, and a manager's digest for a manager only; saved by the view
    (turning reminders on or off also lifts or sets the unsubscribe suppression)."""

    class Meta:
        model = User
        fields = ["wants_reminders", "wants_guideline_updates", "wants_manager_digest"]
        labels = {
            "wants_reminders": "Email me before my certifications expire",
            "wants_guideline_updates": "Email me about guideline updates",
            "wants_manager_digest": "Email me who in my team needs to book",
        }
        help_texts = {
            "wants_reminders": "Reminders 90, 60, 30 and 7 days before, on the day, and once after, with the dates "
            "you can book.",
            "wants_guideline_updates": "One email when a guideline update for one of your courses is published.",
            "wants_manager_digest": "As a manager: one email a week (or as the training office set it) listing the "
            "members who are not compliant, or soon will not be, and are not booked in time; none when nobody is.",
        }

    def __init__(self, *args, manager: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not manager:
            del self.fields["wants_manager_digest"]


ON_OFF = {True: "on", False: "off"}


@login_required
def preferences(request):
    user = request.user
    is_manager = bool(team_scope(user))
    form = PreferencesForm(request.POST or None, instance=User.objects.get(pk=user.pk), manager=is_manager)
    if request.method == "POST" and form.is_valid():
        reminders, updates = form.cleaned_data["wants_reminders"], form.cleaned_data["wants_guideline_updates"]
        (reminders_on if reminders else reminders_off)(user)
        guideline_updates_set(user, updates)
        messages.success(request, f"Reminder emails are {ON_OFF[reminders]}.")
        messages.success(request, f"Guideline-update emails are {ON_OFF[updates]}.")
        if is_manager:
            digest = form.cleaned_data["wants_manager_digest"]
            manager_digest_set(user, digest)
            messages.success(request, f"Your team's digest is {ON_OFF[digest]}.")
        return redirect("reminder_preferences")
    bounced = Suppression.objects.of_address(request.user.email).exclude(reason=Suppression.UNSUBSCRIBED).first()
    return render(request, "reminders/preferences.html", {"form": form, "bounced": bounced})
