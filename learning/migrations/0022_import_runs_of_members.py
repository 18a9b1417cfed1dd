"""The admin's import runs serve every import, not only certifications: CertificationImportRun becomes ImportRun,
with the kind of import it runs. Every run there is so far imported certifications."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0021_group_bookings"),
    ]

    operations = [
        migrations.RenameModel(old_name="CertificationImportRun", new_name="ImportRun"),
        migrations.AlterModelOptions(
            name="importrun",
            options={"ordering": ["-created_at", "-pk"], "verbose_name": "import"},
        ),
        migrations.AddField(
            model_name="importrun",
            name="kind",
            field=models.CharField(
                choices=[("certifications", "Certifications"), ("members", "Organisation members")],
                default="certifications",
                max_length=20,
            ),
            preserve_default=False,
        ),
    ]
