import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from pine.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0007_evaluationplan"),
        ("pine", "0002_row_level_security"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TheoryOfChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("version", models.PositiveSmallIntegerField()),
                ("content", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "created_by",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
                (
                    "evaluation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="theories", to="evaluations.evaluation"
                    ),
                ),
                ("partner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pine.partner")),
            ],
            options={"ordering": ["evaluation", "-version"]},
        ),
        migrations.AddConstraint(
            model_name="theoryofchange",
            constraint=models.UniqueConstraint(fields=("evaluation", "version"), name="theory_one_row_per_version"),
        ),
        EnableRowLevelSecurity("evaluations_theoryofchange"),
    ]
