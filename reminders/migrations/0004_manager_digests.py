import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0020_manager_digests"),
        ("reminders", "0003_uncertain_sends_and_waiting_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="trackingevent",
            name="digest_ids",
            field=models.CharField(blank=True, default="", max_length=255),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="ManagerDigest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("due_on", models.DateField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("sending", "Sending"),
                            ("uncertain", "Uncertain"),
                            ("sent", "Sent"),
                            ("delivered", "Delivered"),
                            ("bounced", "Bounced"),
                            ("complained", "Complained"),
                            ("failed", "Failed"),
                            ("skipped", "Skipped"),
                        ],
                        default="pending",
                        max_length=12,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("message_id", models.CharField(blank=True, db_index=True, max_length=255)),
                ("last_error", models.TextField(blank=True)),
                ("skipped_reason", models.CharField(blank=True, max_length=120)),
                ("dispatched_at", models.DateTimeField(blank=True, null=True)),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("uncertain_since", models.DateTimeField(blank=True, null=True)),
                ("retried_uncertain", models.BooleanField(default=False)),
                ("story", models.TextField(blank=True)),
                ("period_start", models.DateField(help_text="The first day of the period the digest is for.")),
                (
                    "members_listed",
                    models.PositiveIntegerField(default=0, help_text="How many members the email listed."),
                ),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                (
                    "manager",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="manager_digests",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "manager digest",
                "ordering": ["-period_start", "pk"],
                "indexes": [
                    models.Index(fields=["status", "due_on"], name="digest_status_due"),
                    models.Index(fields=["status", "claimed_at"], name="digest_status_claimed"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("manager", "period_start"), name="manager_digest_once_per_period")
                ],
            },
        ),
    ]
