from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0012_agreement_verification")]

    operations = [
        migrations.AddField(
            model_name="evaluation",
            name="population",
            field=models.JSONField(blank=True, default=dict, verbose_name="Children aged 0 to 17 (ONS mid-year estimates)"),
        ),
    ]
