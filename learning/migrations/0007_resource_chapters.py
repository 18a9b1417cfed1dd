from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("learning", "0006_participant_materials")]

    operations = [migrations.RenameField(model_name="resourcepage", old_name="body", new_name="chapters")]
