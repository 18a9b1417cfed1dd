"""The claim times of every row claimed, whatever became of it: who was emailed on a day (delivery.emailed_on) is
asked for every participant due, and without it PostgreSQL read the whole outbox to answer (0007 left only the
rows in flight indexed by claim time). The scan's rows, never claimed, stay out of it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0024_fewer_register_indexes"),
        ("reminders", "0007_leaner_outbox_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(
                condition=models.Q(("claimed_at__isnull", False)), fields=["claimed_at"], name="reminder_claimed"
            ),
        ),
    ]
