"""The invitation email: a link for a participant created without a password to set one."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from learning.accounts.models import User
from learning.common.emails import render_email, send_or_log


def set_password_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.PORTAL_BASE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def send_invitation(user_pk: int) -> bool:
    """Emails the participant a link to set their password; a failure is logged, not raised, so that one bad
    address does not stop a batch of invitations. A participant who set a password meanwhile gets nothing."""
    user = User.objects.filter(pk=user_pk, is_active=True).first()
    if user is None or user.has_usable_password():
        return False
    message = render_email("invitation", {"user": user, "set_password_url": set_password_url(user)}, to=[user.email])
    return send_or_log(message, f"the invitation to participant {user.pk}")
