"""Migration operations for moving a model from one app to another without touching its table.

The model's table, row-level-security policy, triggers and rows stay where they are (the model pins
``db_table``); the migrations change Django's state only (``SeparateDatabaseAndState``), and the
model's content type is renamed so that its permissions follow it."""

from django.db import migrations


def MoveContentType(model: str, *, from_app: str, to_app: str) -> migrations.RunPython:  # noqa: N802
    """Rename the content type of ``model`` from ``from_app`` to ``to_app`` (and back on reverse)."""

    def rename(old: str, new: str):
        def run(apps, schema_editor):
            content_type = apps.get_model("contenttypes", "ContentType")
            if not content_type.objects.filter(app_label=new, model=model).exists():
                content_type.objects.filter(app_label=old, model=model).update(app_label=new)

        return run

    return migrations.RunPython(rename(from_app, to_app), rename(to_app, from_app))
