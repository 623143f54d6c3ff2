from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0008_theoryofchange"),
        ("reports", "0001_initial"),
    ]

    operations = [
        # Report moved to the reports app; its table (evaluations_report) stays.
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Report")], database_operations=[]),
    ]
