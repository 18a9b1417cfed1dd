"""Unsubscribe (one click, no sign-in, RFC 8058) and the participant's reminder preferences."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

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


# No CSRF token: mail clients post the one-click request (RFC 8058) without one. The signed token in the address
# is what proves the request comes from the email, and the only thing it can do is stop reminders.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    participant = participant_for_token(token)
    if participant is None:
        return render(request, "reminders/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        reminders_off(participant)
        # 200 and no redirect: one-click clients expect the answer here.
        return render(request, "reminders/unsubscribe.html", {"done": True, "participant": participant})
    # A GET never unsubscribes: mail scanners open links. It shows the button.
    return render(request, "reminders/unsubscribe.html", {"participant": participant, "token": token})


class PreferencesForm(forms.Form):
    wants_reminders = forms.BooleanField(
        required=False,
        label="Email me before my certifications expire",
        help_text="Reminders 90, 60, 30 and 7 days before, on the day, and once after, with the dates you can book.",
    )


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, initial={"wants_reminders": request.user.wants_reminders})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["wants_reminders"]:
            reminders_on(request.user)
            messages.success(request, "Reminder emails are on.")
        else:
            reminders_off(request.user)
            messages.success(request, "Reminder emails are off.")
        return redirect("reminder_preferences")
    bounced = Suppression.objects.of_address(request.user.email).exclude(reason=Suppression.UNSUBSCRIBED).first()
    return render(request, "reminders/preferences.html", {"form": form, "bounced": bounced})
