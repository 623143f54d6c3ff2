from django.db import migrations

from pine.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0002_initial"), ("pine", "0002_row_level_security")]

    operations = [
        EnableRowLevelSecurity(table)
        for table in (
            "evaluations_evaluation",
            "evaluations_report",
        )
    ]
