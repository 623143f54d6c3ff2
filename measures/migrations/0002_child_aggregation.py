from django.db import migrations, models

# How child rows of each unit add up; a days measure defined as a median is a median.
BY_UNIT = {"count": "count", "percentage": "proportion", "days": "mean", "rate_10k": "aggregates_only"}


def declare_aggregation(apps, schema_editor):
    measure_model = apps.get_model("measures", "Measure")
    schema_editor.execute("SELECT set_config('pine.practice', 'on', true)")  # every partner's measures
    for unit, rule in BY_UNIT.items():
        measure_model.objects.filter(unit=unit).update(child_aggregation=rule)
    measure_model.objects.filter(unit="days", definition__icontains="median").update(child_aggregation="median")
    schema_editor.execute("SELECT set_config('pine.practice', '', true)")


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="measure",
            name="child_aggregation",
            field=models.CharField(
                blank=True,
                choices=[
                    ("count", "Count: the rows whose value is 1 (or empty)"),
                    ("proportion", "Proportion: the rows with 1 out of all rows (each 0 or 1)"),
                    ("mean", "Mean of the rows' values"),
                    ("median", "Median of the rows' values"),
                    ("aggregates_only", "None: send aggregate rows (a rate needs a population)"),
                ],
                default="",
                max_length=20,
                verbose_name="How child rows add up",
            ),
        ),
        migrations.RunPython(declare_aggregation, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="measure",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("child_aggregation", "count"), ("unit", "count")),
                    models.Q(("child_aggregation", "proportion"), ("unit", "percentage")),
                    models.Q(("child_aggregation__in", ["mean", "median"]), ("unit", "days")),
                    models.Q(("child_aggregation", "aggregates_only"), ("unit", "rate_10k")),
                    _connector="OR",
                ),
                name="measure_child_aggregation_fits_unit",
            ),
        ),
    ]
