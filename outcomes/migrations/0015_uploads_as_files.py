"""Uploads are stored as files (``STORAGES["uploads"]``), not in the row: what a submission kept in
``content`` (only ever what PINE keeps of an upload: the columns it read, pseudonymised, of a
submission not yet finished) moves to its ``kept`` file, then ``content`` goes. Reversible: going
back copies each kept file into ``content`` again (the files are left in place)."""

from django.core.files.base import ContentFile
from django.db import migrations, models

import outcomes.models


def _every_partner(schema_editor) -> None:
    schema_editor.execute("SELECT set_config('pine.practice', 'on', true)")


def content_to_files(apps, schema_editor):
    submission_model = apps.get_model("outcomes", "Submission")
    _every_partner(schema_editor)
    for submission in submission_model.objects.exclude(content=b"").iterator():
        submission.kept.save("kept.csv", ContentFile(bytes(submission.content)), save=False)
        submission.content = b""
        submission.save(update_fields=["kept", "content"])
    schema_editor.execute("SELECT set_config('pine.practice', '', true)")


def files_to_content(apps, schema_editor):
    submission_model = apps.get_model("outcomes", "Submission")
    _every_partner(schema_editor)
    for submission in submission_model.objects.exclude(kept="").iterator():
        with submission.kept.open("rb") as file:
            submission.content = file.read()
        submission.save(update_fields=["content"])
    schema_editor.execute("SELECT set_config('pine.practice', '', true)")


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0014_child_event_date")]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="kept",
            field=models.FileField(
                blank=True, max_length=300, storage=outcomes.models.uploads_storage, upload_to=outcomes.models.kept_path
            ),
        ),
        migrations.AddField(
            model_name="submission",
            name="received",
            field=models.FileField(
                blank=True, max_length=300, storage=outcomes.models.uploads_storage, upload_to=outcomes.models.received_path
            ),
        ),
        migrations.RunPython(content_to_files, files_to_content),
        # A default, so that going back adds the column again filled with empty bytes.
        migrations.AlterField(model_name="submission", name="content", field=models.BinaryField(default=b"")),
        migrations.RemoveField(model_name="submission", name="content"),
    ]
