"""Fewer index entries for every row the daily scan inserts and every email's two updates (claimed, then sent),
each of which adds the row's new version to every index whose condition it meets: no index of the stage (five
values), the due dates of pending rows only, the claim times of rows in flight only. The queries that read them
keep their plans (the claim, the participants due, the recovery of dead workers' rows, the look-up of uncertain
ones)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0024_fewer_register_indexes"),
        ("reminders", "0006_batch_claims"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="reminder",
            name="reminder_status_due",
        ),
        migrations.RemoveIndex(
            model_name="reminder",
            name="reminder_status_claimed",
        ),
        migrations.AlterField(
            model_name="reminder",
            name="stage",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reminders",
                to="reminders.reminderstage",
            ),
        ),
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["due_on"], name="reminder_pending_due"
            ),
        ),
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(
                condition=models.Q(("status__in", ["sending", "uncertain"])),
                fields=["status", "claimed_at"],
                name="reminder_in_flight",
            ),
        ),
    ]
