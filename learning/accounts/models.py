"""The portal's users: participants, editors and administrators, who sign in with their email address."""

import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact


class PortalUserManager(UserManager):
    """Users sign in with their email address; there is no separate username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=canonical_email(email), **extra_fields)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(same_email(username))

    def with_email(self, address: str) -> models.QuerySet:
        """The user whose address is `address` in any case (none or one)."""
        return self.filter(same_email(address))


def canonical_email(value) -> str:
    """The spelling of an address that counts: Unicode NFKC, no surrounding spaces, lower case (as accounts
    store it). Every way of typing one address (Pat@Example.org, " pat@example.org ", full-width letters)
    gives the same text; the sign-in, its lockout, the reset links and their limits all read this one."""
    return unicodedata.normalize("NFKC", str(value or "")).strip().lower()


def same_email(address: str) -> Exact:
    """LOWER(email) = LOWER(address): the address in any case, as the unique index on the lower-cased address
    answers it (Django's `email__iexact` compares upper-cased text, which no btree index of the table holds)."""
    return Exact(Lower("email"), Lower(Value(address)))


class User(AbstractUser):
    """A person who signs in: a participant, an editor or an administrator. The email is the sign-in."""

    username = None
    email = models.EmailField("email address", unique=True)
    registration_number = models.CharField(
        "professional registration number",
        max_length=50,
        blank=True,
        help_text="e.g. the nursing or medical council PIN",
    )
    employer = models.CharField(max_length=200, blank=True)
    materials_seen_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the participant last looked at My materials."
    )
    wants_reminders = models.BooleanField(
        "send me reminder emails", default=True, help_text="Emails before a certification expires."
    )
    wants_guideline_updates = models.BooleanField(
        "email me about guideline updates",
        default=True,
        help_text="An email when a guideline update for one of the participant's courses is published.",
    )
    wants_manager_digest = models.BooleanField(
        "email me a digest of my team",
        default=True,
        help_text="For a manager: one email a period listing the members who need to book (none when nobody does).",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = PortalUserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case")]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = canonical_email(self.email)  # stored as it is signed in with and looked up
