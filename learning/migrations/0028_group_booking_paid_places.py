"""The places a group booking's payment covered. For invoices paid before this was recorded, the best record is
the places confirmed now: their invoices show no difference until a place changes."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def paid_for_the_places_held(apps, schema_editor):
    GroupBooking = apps.get_model("learning", "GroupBooking")
    GroupBookingPlace = apps.get_model("learning", "GroupBookingPlace")
    held = (
        GroupBookingPlace.objects.filter(group_booking=OuterRef("pk"), booking__status="confirmed")
        .values("group_booking")
        .annotate(n=Count("pk"))
        .values("n")
    )
    GroupBooking.objects.filter(paid_at__isnull=False, paid_places__isnull=True).update(
        paid_places=Coalesce(Subquery(held), 0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0027_guideline_announcements"),
    ]

    operations = [
        migrations.AddField(
            model_name="groupbooking",
            name="paid_places",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(paid_for_the_places_held, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="groupbooking",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("paid_at__isnull", True), ("paid_places__isnull", True)),
                    models.Q(("paid_at__isnull", False), ("paid_places__isnull", False)),
                    _connector="OR",
                ),
                name="group_booking_paid_for_its_places",
            ),
        ),
    ]
