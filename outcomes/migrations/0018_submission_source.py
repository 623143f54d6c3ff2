from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0017_current_periods_index")]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="source",
            field=models.CharField(
                choices=[
                    ("upload", "Outcome data file"),
                    ("cin", "Children in Need census"),
                    ("ssda903", "SSDA903 return"),
                    ("annex_a", "Ofsted Annex A"),
                ],
                default="upload",
                max_length=20,
            ),
        ),
    ]
