from django.db import migrations

from pine.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0004_onboarding_milestones_meetings")]

    operations = [
        EnableRowLevelSecurity(table) for table in ("evaluations_onboarding", "evaluations_milestone", "evaluations_meeting")
    ]
