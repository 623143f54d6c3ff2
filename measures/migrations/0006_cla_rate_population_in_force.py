"""The rate of children looked after per 10,000 divides by the ONS mid-year estimate in force on
the period's last day (the latest 30 June on or before it), as the child protection plan rate does
and as DfE's rates at 31 March use the estimate of the June before; its definition said the
calendar year of the period's last day (31 March 2024 read the estimate for 30 June 2024, after
it). Where the stored definition still says so, it is reworded as a new version, the old one kept in
its history; a definition the practice team has reworded is left alone. Written out here, not read
from measures.library, so the migration means the same whatever the library later says."""

from django.db import migrations
from django.utils import timezone

FIELDS = ["name", "definition", "unit", "polarity", "numerator", "denominator", "frequency", "source", "source_fields",
          "child_aggregation"]  # fmt: skip
CODE = "cla_rate"
REWORDED = (
    (
        "Population: the 0 to 17 population the partner gives for the calendar year of the period end (ONS mid-year "
        "estimate); without it the rate is not estimable, and so it is for a group given as a list of children.",
        "Population: the 0 to 17 population the partner gives for the ONS mid-year estimate in force on the period's "
        "last day (the latest 30 June on or before it); without it the rate is not estimable, and so it is for a group "
        "given as a list of children.",
    ),
    (
        "divided by the 0 to 17 population the partner gives for that day's calendar year;",
        "divided by the 0 to 17 population of the ONS mid-year estimate in force that day;",
    ),
)


def reword(apps, schema_editor):
    measure_model = apps.get_model("measures", "Measure")
    schema_editor.execute("SELECT set_config('pine.practice', 'on', true)")
    measure = measure_model.objects.filter(code=CODE, partner__isnull=True).first()
    if measure is not None and any(old in measure.definition for old, _ in REWORDED):
        before = {name: getattr(measure, name) for name in FIELDS}
        measure.history = [*measure.history, {"version": measure.version, "until": timezone.now().isoformat(), **before}]
        measure.version += 1
        for old, new in REWORDED:
            measure.definition = measure.definition.replace(old, new)
        measure.updated_at = timezone.now()
        measure.save()
    schema_editor.execute("SELECT set_config('pine.practice', '', true)")


class Migration(migrations.Migration):
    dependencies = [("measures", "0005_definitions_state_formula_period_and_statistic")]

    # Going back leaves the wording (as the library's earlier migrations leave their changes).
    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
