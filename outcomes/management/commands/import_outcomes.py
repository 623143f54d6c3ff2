"""Import a file of outcome data for one partner's evaluation, exactly as an upload would be (the same
service, run here rather than by a worker), and print a JSON summary."""

import json
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evaluations import selectors as evaluation_selectors
from outcomes import services
from pine.commands import command_uploader
from pine.tenancy import partner_scope


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of outcome data into an evaluation. Prints a JSON summary; exits 1 if refused."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--partner", required=True, help="the partner's slug")
        parser.add_argument("--evaluation", required=True, help="the evaluation's code (UUID)")
        parser.add_argument("--dry-run", action="store_true", help="check and show what would change; store nothing")
        parser.add_argument("--user", default="", help="e-mail of the partner member recorded as uploader (default: a lead)")

    def handle(self, *args, file: Path, partner: str, evaluation: str, dry_run: bool, user: str, **options):
        try:
            opened = file.open("rb")  # streamed to the uploads storage, never read whole into memory
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        with opened:
            return self._import(File(opened, name=file.name), partner, evaluation, dry_run, user)

    def _import(self, content: File, partner: str, evaluation: str, dry_run: bool, user: str):
        try:
            code = uuid.UUID(evaluation)
        except ValueError:
            raise CommandError("--evaluation must be an evaluation code (a UUID).") from None
        with transaction.atomic():
            found, actor = command_uploader(partner=partner, user=user)
            with partner_scope(found.pk):
                target = evaluation_selectors.evaluation_get(partner=found, code=code)
                if target is None:
                    raise CommandError(f"No evaluation {evaluation} at {partner!r}.")
                try:
                    submission = services.submission_upload(
                        partner=found,
                        actor=actor,
                        evaluation=target,
                        filename=content.name,
                        content=content,
                        dry_run=dry_run,
                    )
                except ValidationError as error:
                    raise CommandError(" ".join(error.messages)) from None
        summary = {
            "submission": str(submission.code),
            "status": submission.status,
            "dry_run": submission.dry_run,
            "rows": submission.row_count,
            "changes": submission.change_counts(),
            "problems": submission.errors,
            "warnings": submission.warnings,
        }
        self.stdout.write(json.dumps(summary, indent=2))
        if submission.status in ("rejected", "failed"):
            raise SystemExit(1)
