"""Sign-in, sign-out, password reset and change for participants, in the site's own look; the one spelling of
an email address that the sign-in lockout and the reset limits count."""

import datetime
import logging
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpResponseRedirect
from django.urls import path, reverse_lazy
from wagtail.admin.forms.auth import PasswordResetForm as AdminPasswordResetForm
from wagtail.admin.views import account as wagtail_account_views

from learning.accounts.models import User
from learning.common.rate_limits import client_address, over_limit

logger = logging.getLogger(__name__)


def canonical_email(value) -> str:
    """The spelling of an address that counts: Unicode NFKC, no surrounding spaces, lower case (as accounts
    store it). Every way of typing one address (Pat@Example.org, " pat@example.org ", full-width letters)
    gives the same text."""
    return unicodedata.normalize("NFKC", str(value or "")).strip().lower()


def lockout_username(request, credentials=None) -> str:
    """django-axes' AXES_USERNAME_CALLABLE: failures, lockouts and their reset all count the canonical
    address, so five wrong passwords lock every spelling, and a right password in another case clears nothing."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and credentials.get(field) is not None:
        return canonical_email(credentials[field])
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return canonical_email(data.get(field, ""))


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, asking for the email address that is the sign-in."""

    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email address and password do not match an account. Both are case-sensitive "
        "except the email address.",
        "inactive": "This account has been deactivated. Please contact the training office.",
    }

    def clean_username(self):
        # The address the lockout counts is the one that signs in, so that no spelling is a way around it.
        return canonical_email(self.cleaned_data["username"])


def reset_recipients(email: str):
    """Who a reset link for `email` goes to: the active account with that address in any case (found through the
    unique index on the lower-cased address), whether or not it has a password yet. Django's own rule leaves out
    accounts without one, and so every participant an import or an administrator created whose invitation
    lapsed: they asked for a link, were told to check their email, and nothing came. The link goes to the
    address the account holds, never to the one typed."""
    return User.objects.with_email(email).filter(is_active=True)


class ResetRecipientsMixin:
    """Both reset forms, the site's and the admin's, send to `reset_recipients` and nobody else."""

    def get_users(self, email):
        return reset_recipients(email)


class SiteResetForm(ResetRecipientsMixin, PasswordResetForm):
    """The site's reset form."""


class AdminResetForm(ResetRecipientsMixin, AdminPasswordResetForm):
    """The Wagtail admin's reset form."""


class PasswordResetLimitMixin:
    """A reset form limited per address and per client. Over a limit the answer is the usual "check your email"
    page, so the page never tells whether an address has an account, but no email is sent."""

    def form_valid(self, form):
        email = canonical_email(form.cleaned_data["email"])
        if password_reset_over_limit(email=email, client=client_address(self.request)):
            logger.warning("password reset over its rate limit; no email sent")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class RateLimitedPasswordResetView(PasswordResetLimitMixin, auth_views.PasswordResetView):
    """The site's reset form (/accounts/password/reset/)."""

    form_class = SiteResetForm


class RateLimitedAdminPasswordResetView(PasswordResetLimitMixin, wagtail_account_views.PasswordResetView):
    """The Wagtail admin's reset form (/admin/password_reset/): a second way to send the same email, so the same
    limits; the portal mounts it over Wagtail's own."""

    def get_form_class(self):
        return AdminResetForm


def password_reset_over_limit(*, email: str, client: str) -> bool:
    """Counts one reset request for the address and one for the client; true when either is over its hourly
    limit. Both are counted whether the address has an account or not."""
    hour = datetime.timedelta(hours=1)
    over_address = over_limit(
        "password-reset-address", email, limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR, window=hour
    )
    over_client = over_limit(
        "password-reset-client", client, limit=settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR, window=hour
    )
    return over_address or over_client


# Mounted by the portal in front of the Wagtail admin's URLs, under /admin/.
admin_urlpatterns = [
    path("password_reset/", RateLimitedAdminPasswordResetView.as_view(), name="wagtailadmin_password_reset"),
]

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done")),
        name="password_change",
    ),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "password/reset/",
        RateLimitedPasswordResetView.as_view(
            subject_template_name="email/password_reset/subject.txt",
            email_template_name="email/password_reset/body.txt",
            html_email_template_name="email/password_reset/body.html",
            extra_email_context={"site_name": settings.PORTAL_NAME},
        ),
        name="password_reset",
    ),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(post_reset_login=False),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
