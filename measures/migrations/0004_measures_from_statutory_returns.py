"""The measures the statutory-return readers feed: new library codes are added, and a library
definition made more exact is stored as a new version (the old one kept in its history), unless
the practice team has already changed it."""

from django.db import migrations
from django.utils import timezone

FIELDS = ["name", "definition", "unit", "polarity", "numerator", "denominator", "frequency", "source", "source_fields"]
BY_UNIT = {"count": "count", "percentage": "proportion", "days": "mean", "rate_10k": "aggregates_only"}


def bring_library_up_to_date(apps, schema_editor):
    from measures.library import DETAILS, STANDARD_MEASURES

    measure_model = apps.get_model("measures", "Measure")
    schema_editor.execute("SELECT set_config('pine.practice', 'on', true)")
    for m in STANDARD_MEASURES:
        wanted = {"name": m.name, "definition": m.definition, "unit": m.unit, "polarity": m.polarity,
                  **DETAILS[m.code]._asdict()}  # fmt: skip
        measure = measure_model.objects.filter(code=m.code, partner__isnull=True).first()
        if measure is None:
            median = m.unit == "days" and "median" in m.definition.lower()
            measure_model.objects.create(code=m.code, child_aggregation="median" if median else BY_UNIT[m.unit], **wanted)
            continue
        before = {name: getattr(measure, name) for name in FIELDS}
        if measure.version != 1 or measure.history or before == {name: wanted[name] for name in FIELDS}:
            continue  # changed by the practice team already, or up to date
        measure.history = [{"version": 1, "until": timezone.now().isoformat(), **before,
                            "child_aggregation": measure.child_aggregation}]  # fmt: skip
        measure.version = 2
        for name in FIELDS:
            setattr(measure, name, wanted[name])
        measure.updated_at = timezone.now()
        measure.save()
    schema_editor.execute("SELECT set_config('pine.practice', '', true)")


class Migration(migrations.Migration):
    dependencies = [("measures", "0003_cin_return_measures")]

    operations = [migrations.RunPython(bring_library_up_to_date, migrations.RunPython.noop)]
