from django.db import migrations


def load_library(apps, schema_editor):
    from measures.library import STANDARD_MEASURES

    Measure = apps.get_model("outcomes", "Measure")
    for m in STANDARD_MEASURES:
        Measure.objects.update_or_create(
            code=m.code, defaults={"name": m.name, "definition": m.definition, "unit": m.unit, "polarity": m.polarity}
        )


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0003_row_level_security")]

    operations = [migrations.RunPython(load_library, migrations.RunPython.noop)]
