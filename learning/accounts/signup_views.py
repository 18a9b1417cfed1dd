"""The newcomer's pages (learning.accounts.registration): the form, "check your email", and the page the link
opens, where giving a name and choosing a password makes the account and signs it in."""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from learning.accounts.models import User
from learning.accounts.registration import new_participant, participant_register, registration_details
from learning.accounts.tasks import send_registration_link_task
from learning.accounts.views import CanonicalEmailField, CarriesNext, local_path, over_hourly_limits

logger = logging.getLogger(__name__)


class RegistrationForm(CarriesNext):
    """The address alone: nothing else about a person is asked before the address is proved."""

    email = CanonicalEmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="You will sign in with it. We email a link there to finish registering.",
    )


class FinishRegistrationForm(SetPasswordForm):
    """The name and details the account holds, and its password: asked once the address is proved."""

    first_name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    registration_number = forms.CharField(
        label="Professional registration number",
        max_length=50,
        required=False,
        help_text="Your nursing or medical council PIN, if you have one.",
    )
    employer = forms.CharField(max_length=200, required=False, help_text="The hospital or service you work for.")
    field_order = ["first_name", "last_name", "registration_number", "employer", "new_password1", "new_password2"]

    def clean(self):
        # On the account before its password is checked, so that a password like the name is refused.
        for name in ("first_name", "last_name", "registration_number", "employer"):
            setattr(self.user, name, self.cleaned_data.get(name, ""))
        return super().clean()


@never_cache
@require_http_methods(["GET", "POST"])
def register(request):
    """The form; a valid one queues the link (the same answer for every address) and says to check the email."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = RegistrationForm(request.POST or None, initial={"next": local_path(request.GET.get("next"))})
    if request.method == "POST" and form.is_valid():
        details = form.cleaned_data
        if over_hourly_limits("registration", details["email"], request):
            logger.warning("registration over its rate limit; no email sent")
        else:
            queue_link(details)
        return redirect("register_sent")
    return render(request, "registration/register.html", {"form": form})


def queue_link(details: dict) -> None:
    try:
        send_registration_link_task.delay(details)
    except Exception:  # the broker is down: the page says what it says for any address, and the log why
        logger.exception("could not queue a registration link")


def register_sent(request):
    return render(request, "registration/register_sent.html", {"days": settings.REGISTRATION_LINK_DAYS})


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def register_confirm(request, token):
    """Where the link leads: giving a name and choosing a password makes the account (unless one has the address
    by now) and signs it in, then goes on to the page the newcomer started from."""
    details = registration_details(token)
    if details is None:
        return render(request, "registration/register_confirm.html", {"state": "invalid"}, status=400)
    participant = new_participant(details)
    if User.objects.with_email(participant.email).exists():
        return render(request, "registration/register_confirm.html", {"state": "exists", "email": participant.email})
    form = FinishRegistrationForm(participant, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not participant_register(participant, password=form.cleaned_data["new_password1"]):
            return redirect("login")  # the same link, twice at once: the other made the account
        login(request, participant, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {participant.first_name}: your account is ready.")
        return redirect(local_path(details["next"]) or "dashboard")
    return render(
        request, "registration/register_confirm.html", {"state": "form", "form": form, "newcomer": participant}
    )


urlpatterns = [
    path("register/", register, name="register"),
    path("register/sent/", register_sent, name="register_sent"),
    path("register/<str:token>/", register_confirm, name="register_confirm"),
]
