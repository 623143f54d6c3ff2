import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from pine.migration_ops import MoveContentType


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("outcomes", "0009_child_records_lean_keys"),
        ("evaluations", "0008_theoryofchange"),
        ("pine", "0003_notifications"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Moved from outcomes: the table outcomes_measure, its policy and rows stay as they are.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Measure",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.SlugField(max_length=60)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("promoted_at", models.DateTimeField(blank=True, null=True)),
                        ("name", models.CharField(max_length=200)),
                        ("definition", models.TextField()),
                        (
                            "unit",
                            models.CharField(
                                choices=[
                                    ("count", "Count"),
                                    ("rate_10k", "Rate per 10,000 children"),
                                    ("percentage", "Percentage"),
                                    ("days", "Days"),
                                ],
                                max_length=20,
                            ),
                        ),
                        (
                            "polarity",
                            models.CharField(
                                choices=[("higher", "Higher is better"), ("lower", "Lower is better")], max_length=10
                            ),
                        ),
                        ("numerator", models.TextField(blank=True)),
                        ("denominator", models.TextField(blank=True)),
                        (
                            "frequency",
                            models.CharField(
                                choices=[("monthly", "Monthly"), ("quarterly", "Quarterly"), ("annual", "Annual")],
                                default="monthly",
                                max_length=20,
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                choices=[
                                    ("cin", "Children in Need census"),
                                    ("ssda903", "SSDA903 (children looked after)"),
                                    ("annex_a", "Ofsted Annex A"),
                                    ("local", "Local data"),
                                ],
                                default="local",
                                max_length=20,
                            ),
                        ),
                        ("source_fields", models.CharField(blank=True, max_length=300)),
                        ("version", models.PositiveIntegerField(default=1)),
                        ("history", models.JSONField(blank=True, default=list)),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "evaluation",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="local_measures",
                                to="evaluations.evaluation",
                            ),
                        ),
                        (
                            "partner",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="pine.partner",
                            ),
                        ),
                        (
                            "promoted_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "promoted_from",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="pine.partner",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "outcomes_measure",
                        "ordering": ["name"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("partner__isnull", True)),
                                fields=("code",),
                                name="measure_library_code_unique",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("partner__isnull", False)),
                                fields=("partner", "code"),
                                name="measure_local_code_unique_per_partner",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("evaluation__isnull", True), ("partner__isnull", True)),
                                    models.Q(("evaluation__isnull", False), ("partner__isnull", False)),
                                    _connector="OR",
                                ),
                                name="measure_local_has_partner_and_evaluation",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        MoveContentType("measure", from_app="outcomes", to_app="measures"),
    ]
