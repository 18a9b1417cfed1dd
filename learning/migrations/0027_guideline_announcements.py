"""Which courses' participants were told of each guideline update. The updates published before this migration
were announced to their courses at their first publication: those courses are recorded as announced, so that
their next publication emails nobody already entitled then."""

import django.db.models.deletion
from django.db import migrations, models


def record_published_updates(apps, schema_editor):
    GuidelineUpdatePage = apps.get_model("learning", "GuidelineUpdatePage")
    GuidelineAnnouncement = apps.get_model("learning", "GuidelineAnnouncement")
    published = GuidelineUpdatePage.objects.filter(first_published_at__isnull=False)
    GuidelineAnnouncement.objects.bulk_create(
        [
            GuidelineAnnouncement(page_id=page.pk, course_id=course.pk, announced_at=page.first_published_at)
            for page in published.prefetch_related("courses")
            for course in page.courses.all()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0026_course_date_schedule_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="GuidelineAnnouncement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("announced_at", models.DateTimeField()),
                (
                    "course",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="learning.coursepage"
                    ),
                ),
                (
                    "page",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="announcements",
                        to="learning.guidelineupdatepage",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("page", "course"), name="guideline_course_announced_once")
                ],
            },
        ),
        migrations.RunPython(record_published_updates, migrations.RunPython.noop),
    ]
