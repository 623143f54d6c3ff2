import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from pine.migration_ops import MoveContentType


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("evaluations", "0008_theoryofchange"),
        ("pine", "0003_notifications"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Moved from evaluations: the table evaluations_report, its policy and rows stay as they are.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Report",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[("queued", "Queued"), ("running", "Building"), ("done", "Ready"), ("failed", "Failed")],
                                default="queued",
                                max_length=20,
                            ),
                        ),
                        ("progress", models.PositiveSmallIntegerField(default=0)),
                        ("stage", models.CharField(blank=True, max_length=200)),
                        ("error", models.TextField(blank=True)),
                        ("html", models.BinaryField(blank=True, null=True)),
                        ("pdf", models.BinaryField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "evaluation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="reports", to="evaluations.evaluation"
                            ),
                        ),
                        (
                            "partner",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pine.partner"),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "evaluations_report",
                        "ordering": ["-created_at"],
                        "constraints": [
                            models.CheckConstraint(condition=models.Q(("progress__lte", 100)), name="report_progress_percent")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        MoveContentType("report", from_app="evaluations", to_app="reports"),
    ]
