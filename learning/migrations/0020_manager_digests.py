import django.core.validators
from django.conf import settings
from django.db import migrations, models


def digest_period_from_environment(apps, schema_editor):
    """An install that has its settings row already takes the new number from the environment, as a fresh one
    does (learning.common.models.FROM_ENVIRONMENT)."""
    PortalSettings = apps.get_model("learning", "PortalSettings")
    PortalSettings.objects.update(manager_digest_days=settings.MANAGER_DIGEST_DAYS)


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0019_trigram_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="wants_manager_digest",
            field=models.BooleanField(
                default=True,
                help_text="For a manager: one email a period listing the members who need to book (none when nobody "
                "does).",
                verbose_name="email me a digest of my team",
            ),
        ),
        migrations.AddField(
            model_name="portalsettings",
            name="manager_digest_days",
            field=models.PositiveIntegerField(
                default=7,
                help_text="Each manager gets one email this often listing the members who are not compliant, or will "
                "not be within the expiring window, and are not booked in time; none when nobody is. 7: weekly, on "
                "Mondays.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(365),
                ],
                verbose_name="managers' digest every (days)",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(digest_period_from_environment, migrations.RunPython.noop),
    ]
