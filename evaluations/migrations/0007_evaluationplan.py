import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from pine.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0006_milestone_reminded_on"),
        ("pine", "0002_row_level_security"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EvaluationPlan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("version", models.PositiveSmallIntegerField()),
                (
                    "status",
                    models.CharField(choices=[("draft", "Draft"), ("signed_off", "Signed off")], default="draft", max_length=20),
                ),
                ("change_reason", models.TextField(blank=True)),
                ("research_questions", models.TextField(blank=True)),
                (
                    "design",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("pre_post", "Before and after (pre/post)"),
                            ("its", "Interrupted time series"),
                            ("did", "Comparison group (difference-in-differences)"),
                            ("spc", "Statistical process control"),
                            ("rct", "Randomised trial"),
                        ],
                        max_length=20,
                    ),
                ),
                ("intervention_start", models.DateField(blank=True, null=True)),
                ("baseline_start", models.DateField(blank=True, null=True)),
                ("baseline_end", models.DateField(blank=True, null=True)),
                ("follow_up_start", models.DateField(blank=True, null=True)),
                ("follow_up_end", models.DateField(blank=True, null=True)),
                ("comparison_group", models.TextField(blank=True)),
                ("comparison_how_chosen", models.TextField(blank=True)),
                ("measures", models.JSONField(blank=True, default=list)),
                ("expected_children_per_period", models.PositiveIntegerField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("signed_off_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
                (
                    "evaluation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="plans", to="evaluations.evaluation"
                    ),
                ),
                ("partner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pine.partner")),
                (
                    "signed_off_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["evaluation", "-version"]},
        ),
        migrations.AddConstraint(
            model_name="evaluationplan",
            constraint=models.UniqueConstraint(fields=("evaluation", "version"), name="plan_one_row_per_version"),
        ),
        migrations.AddConstraint(
            model_name="evaluationplan",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "draft")), fields=("evaluation",), name="plan_at_most_one_draft"
            ),
        ),
        migrations.AddConstraint(
            model_name="evaluationplan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("baseline_end__isnull", True),
                    ("baseline_start__isnull", True),
                    ("baseline_end__gte", models.F("baseline_start")),
                    _connector="OR",
                ),
                name="plan_baseline_in_order",
            ),
        ),
        migrations.AddConstraint(
            model_name="evaluationplan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("follow_up_end__isnull", True),
                    ("follow_up_start__isnull", True),
                    ("follow_up_end__gte", models.F("follow_up_start")),
                    _connector="OR",
                ),
                name="plan_follow_up_in_order",
            ),
        ),
        EnableRowLevelSecurity("evaluations_evaluationplan"),
    ]
