from django.db import migrations

from pine.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0002_initial"), ("pine", "0002_row_level_security")]

    operations = [
        EnableRowLevelSecurity(table)
        for table in (
            "outcomes_submission",
            "outcomes_outcomevalue",
        )
    ]
