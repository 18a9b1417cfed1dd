"""The fee a group booking was paid at. For invoices paid before this was recorded, the best record is the course
page's fee now."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def paid_at_the_fee_now(apps, schema_editor):
    GroupBooking = apps.get_model("learning", "GroupBooking")
    CourseDate = apps.get_model("learning", "CourseDate")
    fee = CourseDate.objects.filter(pk=OuterRef("course_date_id")).values("course__fee_text")[:1]
    GroupBooking.objects.filter(paid_at__isnull=False).update(paid_fee_text=Subquery(fee))


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0028_group_booking_paid_places"),
    ]

    operations = [
        migrations.AddField(
            model_name="groupbooking",
            name="paid_fee_text",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.RunPython(paid_at_the_fee_now, migrations.RunPython.noop),
    ]
