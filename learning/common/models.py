"""What training administrators tune without a deployment: the training office's contact details and the rules'
numbers (the "expiring" window, the materials grace period, the cancellation cut-off, the verification rate, the
most credits one continuing-education activity may claim, how often managers get their digest).

One row for the portal (a Wagtail generic setting, under Settings > Portal settings in the admin). The environment
variables of the same names give a fresh install its first values; from then on the admin's values apply.
"""

from contextvars import ContextVar
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

# Each field's first value, from the setting (and so the environment variable) of this name.
FROM_ENVIRONMENT = {
    "office_name": "TRAINING_OFFICE_NAME",
    "office_email": "TRAINING_OFFICE_EMAIL",
    "office_phone": "TRAINING_OFFICE_PHONE",
    "office_address": "TRAINING_OFFICE_ADDRESS",
    "office_hours": "TRAINING_OFFICE_HOURS",
    "expiring_days": "CERTIFICATION_EXPIRING_DAYS",
    "grace_days": "MATERIALS_GRACE_DAYS",
    "cancellation_cutoff_days": "BOOKING_CANCELLATION_CUTOFF_DAYS",
    "verify_rate_per_minute": "VERIFY_RATE_PER_MINUTE",
    "ce_max_credits": "CE_MAX_CREDITS_PER_ACTIVITY",
    "manager_digest_days": "MANAGER_DIGEST_DAYS",
}


def days(help_text: str, *, maximum: int = 3650) -> models.PositiveIntegerField:
    """A number of days an administrator sets, within a sane bound."""
    return models.PositiveIntegerField(help_text=help_text, validators=[MaxValueValidator(maximum)])


@register_setting(icon="cog")
class PortalSettings(BaseGenericSetting):
    office_name = models.CharField("name", max_length=120)
    office_email = models.EmailField("email")
    office_phone = models.CharField("telephone", max_length=40, blank=True)
    office_address = models.TextField("postal address", blank=True)
    office_hours = models.CharField(
        "opening hours", max_length=200, blank=True, help_text="e.g. Monday to Friday, 9am to 5pm"
    )

    expiring_days = days("A certification shows as expiring from this many days before it expires.")
    grace_days = days(
        "Participants may still read a course's materials this many days after their certification expired.",
    )
    cancellation_cutoff_days = days(
        "Participants may cancel a booking online until this many days before the course starts.",
        maximum=365,
    )
    verify_rate_per_minute = models.PositiveIntegerField(
        "verification look-ups per minute",
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
        help_text="How many certificate look-ups one client address may make on the public verification page.",
    )
    ce_max_credits = models.DecimalField(
        "most credits for one continuing-education activity",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("999"))],
        help_text="A submission or record claiming more is refused on its credits field.",
    )
    manager_digest_days = models.PositiveIntegerField(
        "managers' digest every (days)",
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Each manager gets one email this often listing the members who are not compliant, or will not be "
        "within the expiring window, and are not booked in time; none when nobody is. 7: weekly, on Mondays.",
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("office_name"),
                FieldPanel("office_email"),
                FieldPanel("office_phone"),
                FieldPanel("office_address"),
                FieldPanel("office_hours"),
            ],
            heading="Training office (shown on the contact page, in refusals and in emails)",
        ),
        MultiFieldPanel(
            [
                FieldPanel("expiring_days"),
                FieldPanel("grace_days"),
                FieldPanel("cancellation_cutoff_days"),
                FieldPanel("verify_rate_per_minute"),
                FieldPanel("ce_max_credits"),
                FieldPanel("manager_digest_days"),
            ],
            heading="Rules",
        ),
    ]

    class Meta:
        verbose_name = "portal settings"
        verbose_name_plural = "portal settings"

    def __str__(self) -> str:
        return "Portal settings"

    @classmethod
    def _get_or_create(cls):
        # Wagtail creates the row with the fields' defaults on first use; ours come from the environment instead.
        first = cls.base_queryset().first()
        if first is None:
            return cls.objects.create(**{field: getattr(settings, name) for field, name in FROM_ENVIRONMENT.items()})
        return first


# The request being served on this thread, if any: code that is not handed the request (a model's status, the
# entitlement rule, an email composed in a view) still reads the settings once per request, not once per call.
current_request: ContextVar = ContextVar("current_request", default=None)


def portal_settings(request=None) -> PortalSettings:
    """The portal's settings (created from the environment's values on first use), read once per request.
    Outside a request (tasks, commands) each call reads the row, so a change in the admin applies at once."""
    return PortalSettings.load(request_or_site=request or current_request.get())
