from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0005_row_level_security")]

    operations = [
        migrations.AddField(
            model_name="milestone",
            name="reminded_on",
            field=models.DateField(blank=True, help_text="When the last overdue reminder went out.", null=True),
        ),
    ]
