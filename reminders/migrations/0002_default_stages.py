"""The default reminder stages: 90, 60, 30 and 7 days before expiry, on the day, and 30 days after."""

from django.db import migrations

DEFAULT_STAGES = [
    (
        -90,
        "90 days before",
        "Your {course} certification expires in {days_text}",
        "Your {course} certification expires on {date}. Book your renewal now, while dates still have seats.",
    ),
    (
        -60,
        "60 days before",
        "Your {course} certification expires on {date}",
        "Your {course} certification expires in {days_text}, on {date}. Renewal dates fill up: book yours soon.",
    ),
    (
        -30,
        "30 days before",
        "Your {course} certification expires in {days_text}",
        "Your {course} certification expires on {date}. Book a renewal date now to stay certified.",
    ),
    (
        -7,
        "7 days before",
        "{days_text} left: your {course} certification expires on {date}",
        "Your {course} certification expires in {days_text}, on {date}. If you have not booked yet, please do so today.",
    ),
    (
        0,
        "On the expiry day",
        "Your {course} certification expires on {date}",
        "Your {course} certification expires on {date}. From the day after, it is no longer valid.",
    ),
    (
        30,
        "30 days after (lapsed)",
        "Your {course} certification has lapsed",
        "Your {course} certification expired on {date}. A lapsed certification cannot be renewed: you now need to "
        "book the full {course} course.",
    ),
]


def create_stages(apps, schema_editor):
    ReminderStage = apps.get_model("reminders", "ReminderStage")
    for days, name, subject, opening in DEFAULT_STAGES:
        ReminderStage.objects.get_or_create(
            days_from_expiry=days, defaults={"name": name, "subject": subject, "opening": opening}
        )


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_initial")]

    operations = [migrations.RunPython(create_stages, migrations.RunPython.noop)]
