import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0001_initial"),
        ("outcomes", "0009_child_records_lean_keys"),
    ]

    operations = [
        # Measure moved to the measures app; its table (outcomes_measure) and the foreign keys that
        # point at it stay as they are.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="childrecord",
                    name="measure",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="measures.measure",
                    ),
                ),
                migrations.AlterField(
                    model_name="outcomevalue",
                    name="measure",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="measures.measure"),
                ),
                migrations.DeleteModel(name="Measure"),
            ],
            database_operations=[],
        ),
    ]
