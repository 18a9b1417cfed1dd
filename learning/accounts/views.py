"""Sign-in, sign-out, password reset and change for participants, in the site's own look; the forms read an
address in the one spelling (canonical_email) that the sign-in lockout and the reset limits count. The reset links
themselves are sent by learning.accounts.password_reset."""

import datetime
import logging

from axes.utils import reset as reset_lockout
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from wagtail.admin.forms.auth import PasswordResetForm as AdminPasswordResetForm
from wagtail.admin.views import account as wagtail_account_views

from learning.accounts.models import canonical_email
from learning.accounts.tasks import send_reset_links_task
from learning.common.rate_limits import client_address, over_limit

logger = logging.getLogger(__name__)


def lockout_username(request, credentials=None) -> str:
    """django-axes' AXES_USERNAME_CALLABLE: failures, lockouts and their reset all count the canonical
    address, so five wrong passwords lock every spelling, and a right password in another case clears nothing."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and credentials.get(field) is not None:
        return canonical_email(credentials[field])
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return canonical_email(data.get(field, ""))


class CanonicalEmailField(forms.EmailField):
    """An address read as the account holds it (canonical_email) before it is validated, so that full-width
    letters or a stray capital sign in, and ask for a link, as the plain spelling does."""

    def to_python(self, value):
        return canonical_email(super().to_python(value))


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, asking for the email address that is the sign-in."""

    # Read canonically: the address the lockout counts is the one that signs in, so no spelling is a way around it.
    username = CanonicalEmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email address and password do not match an account. Check the password: capital "
        "letters count in it (not in the address).",
        "inactive": "This account has been deactivated. Please contact the training office.",
    }


def local_path(value) -> str:
    """`value` if it is a path on this site ("/guidelines/sepsis/"), else "": what a `next` the reset carries may
    be, since it ends up in an email and in the sign-in's redirect."""
    value = (value or "").strip()
    if value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return value
    return ""


class QueuedResetMixin:
    """Both reset forms, the site's and the admin's: the address read canonically, and the link left to a worker
    (learning.accounts.password_reset), so that the answer takes the same time for every address."""

    admin = False

    def next_path(self) -> str:
        return ""

    def save(self, *args, **kwargs):
        try:
            send_reset_links_task.delay(self.cleaned_data["email"], admin=self.admin, next_path=self.next_path())
        except Exception:  # the broker is down: the page says what it says for any address, and the log why
            logger.exception("could not queue a password link")


class CarriesNext(forms.Form):
    """A form that carries, hidden, where the reader was going when the sign-in sent them here (a path on this
    site only: it goes into an email and a redirect), so that what follows leads back there."""

    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_next(self):
        return local_path(self.cleaned_data.get("next"))


class SiteResetForm(QueuedResetMixin, CarriesNext, PasswordResetForm):
    """The site's reset form."""

    email = CanonicalEmailField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def next_path(self) -> str:
        return self.cleaned_data.get("next", "")


class AdminResetForm(QueuedResetMixin, AdminPasswordResetForm):
    """The Wagtail admin's reset form."""

    admin = True
    email = CanonicalEmailField(label=AdminPasswordResetForm.base_fields["email"].label, max_length=254)


def over_hourly_limits(kind: str, address: str, request) -> bool:
    """Whether this request for a link (`kind`: "password-reset" or "registration") to `address` is over the
    hourly limit per address or per client; both are counted, over or not, so the work is the same for every
    address."""
    hour = datetime.timedelta(hours=1)
    over_address = over_limit(
        f"{kind}-address", address, limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR, window=hour
    )
    over_client = over_limit(
        f"{kind}-client", client_address(request), limit=settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR, window=hour
    )
    return over_address or over_client


class PasswordResetLimitMixin:
    """A reset form limited per address (as the form reads it, canonically: the spelling the account is found by)
    and per client, both counted for every address, so that the work is the same whether or not an account has
    it; the worker counts each account's links as well (learning.accounts.password_reset). Over a limit the
    answer is the usual "check your email" page, so the page never tells whether an address has an account,
    but nothing is sent."""

    def form_valid(self, form):
        if over_hourly_limits("password-reset", form.cleaned_data["email"], self.request):
            logger.warning("password reset over its rate limit; no email sent")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class EmailedLinkMixin:
    """Where an emailed link leads. It works for an active account only (one deactivated after the link was sent
    gets "this link no longer works"). A password set through it proves the mailbox: sign-in from the client
    that set it is no longer locked out for that account (other clients' failures stand)."""

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        response = super().form_valid(form)
        reset_lockout(ip=client_address(self.request), username=canonical_email(form.user.email))
        return response


class RateLimitedPasswordResetView(PasswordResetLimitMixin, auth_views.PasswordResetView):
    """The site's reset form (/accounts/password/reset/); `?next=` from the sign-in goes with the link."""

    form_class = SiteResetForm

    def get_initial(self):
        return {**super().get_initial(), "next": local_path(self.request.GET.get("next"))}


class RateLimitedAdminPasswordResetView(PasswordResetLimitMixin, wagtail_account_views.PasswordResetView):
    """The Wagtail admin's reset form (/admin/password_reset/): a second way to ask for a link, so the same
    limits; the portal mounts it over Wagtail's own."""

    def get_form_class(self):
        return AdminResetForm


class SitePasswordResetConfirmView(EmailedLinkMixin, auth_views.PasswordResetConfirmView):
    """Where the site's link leads: a new password, or a first one, and then the sign-in, which leads on to the
    page the link's `?next=` names. Django moves the token out of the address to the session by a redirect that
    drops the query, so `next` is kept in the session beside it."""

    next_key = "password_reset_next"

    def dispatch(self, *args, **kwargs):
        if "next" in self.request.GET:
            self.request.session[self.next_key] = local_path(self.request.GET["next"])
        return super().dispatch(*args, **kwargs)

    def get_success_url(self):
        url = reverse("password_reset_complete")
        next_path = self.request.session.pop(self.next_key, "")
        return f"{url}?{urlencode({'next': next_path})}" if next_path else url


class AdminPasswordResetConfirmView(EmailedLinkMixin, wagtail_account_views.PasswordResetConfirmView):
    """Where the admin's link leads."""


class SignOutView(auth_views.LogoutView):
    """Signing out is a POST (the header's button); the address typed or bookmarked asks first, rather than a
    blank "method not allowed"."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logout_confirm.html")


class PasswordSetView(auth_views.PasswordResetCompleteView):
    """The "password set" page, its sign-in leading on to the page the reset began from."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "next": local_path(self.request.GET.get("next"))}


# Mounted by the portal in front of the Wagtail admin's URLs, under /admin/.
admin_urlpatterns = [
    path("password_reset/", RateLimitedAdminPasswordResetView.as_view(), name="wagtailadmin_password_reset"),
    path(
        "password_reset/confirm/<uidb64>/<token>/",
        AdminPasswordResetConfirmView.as_view(),
        name="wagtailadmin_password_reset_confirm",
    ),
]

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", SignOutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done")),
        name="password_change",
    ),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "password/reset/",
        RateLimitedPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        SitePasswordResetConfirmView.as_view(post_reset_login=False),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        PasswordSetView.as_view(),
        name="password_reset_complete",
    ),
]
