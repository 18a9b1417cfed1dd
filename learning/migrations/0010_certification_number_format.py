"""Certification numbers: one format, checked by forms and the import, and unique ignoring case."""

import django.core.validators
import django.db.models.functions.text
from django.db import migrations, models


def refuse_numbers_differing_only_in_case(apps, schema_editor):
    """The constraint below cannot be added while two numbers differ only in case: name them, so that an
    administrator can renumber one, rather than fail with the database's bare message."""
    Certification = apps.get_model("learning", "Certification")
    seen, clashes = {}, []
    for number in Certification.objects.order_by("pk").values_list("number", flat=True).iterator():
        first = seen.setdefault(number.upper(), number)
        if first != number:
            clashes.append(f"{first} / {number}")
    if clashes:
        raise RuntimeError(
            "These certification numbers differ only in upper and lower case; renumber one of each pair before "
            "migrating: " + ", ".join(clashes[:50])
        )


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0009_public_collections"),
    ]

    operations = [
        migrations.AlterField(
            model_name="certification",
            name="number",
            field=models.CharField(
                help_text="Printed on the card, e.g. ALS2-2026-000123: letters, digits and hyphens; upper and lower case are the same number.",
                max_length=40,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "\\A[A-Za-z0-9][A-Za-z0-9-]{1,38}[A-Za-z0-9]\\Z",
                        "A certification number is 3 to 40 letters (A-Z), digits and hyphens, starting and ending with a letter or digit, e.g. ALS2-2026-000123.",
                        code="number_format",
                    )
                ],
            ),
        ),
        migrations.RunPython(refuse_numbers_differing_only_in_case, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="certification",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("number"),
                name="certification_number_unique_ignoring_case",
                violation_error_message="Another certification has this number (upper and lower case are the same).",
            ),
        ),
    ]
