"""Uploads stored before PINE kept only what it read: a finished upload keeps no bytes (nothing reads
them again), and one still to be processed keeps only what ``kept_upload`` keeps today (or, if the
file is refused as it is read, nothing: it is rejected with its problems)."""

from django.db import migrations
from django.utils import timezone

FINISHED = ("accepted", "rejected", "checked", "failed")


def keep_only_what_was_read(apps, schema_editor):
    from outcomes.services import kept_upload  # today's rule, applied to yesterday's rows

    submission_model = apps.get_model("outcomes", "Submission")
    schema_editor.execute("SELECT set_config('pine.practice', 'on', true)")  # every partner's rows
    submission_model.objects.filter(status__in=FINISHED).exclude(content=b"").update(content=b"")
    for submission in submission_model.objects.exclude(status__in=FINISHED).exclude(content=b"").iterator():
        kept = kept_upload(bytes(submission.content), submission.filename)
        if isinstance(kept, bytes):
            submission.content = kept
        else:
            submission.content = b""
            submission.status, submission.progress, submission.stage = "rejected", 100, "Rejected"
            submission.errors, submission.finished_at = [p.as_dict() for p in kept], timezone.now()
        submission.save(update_fields=["content", "status", "progress", "stage", "errors", "finished_at"])
    schema_editor.execute("SELECT set_config('pine.practice', '', true)")


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0010_measure_moved_to_measures")]

    operations = [migrations.RunPython(keep_only_what_was_read, migrations.RunPython.noop)]
