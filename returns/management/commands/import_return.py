"""Import a statutory return (CIN census, SSDA903, Ofsted Annex A) into one partner's evaluation,
exactly as the page does (the same service, run here rather than by a worker), and print its
measures as JSON."""

import json
import uuid
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evaluations import selectors as evaluation_selectors
from pine.commands import command_uploader
from pine.tenancy import partner_scope
from returns import services
from returns.models import ReturnImport


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = (
        "Import a statutory return's file or files into an evaluation: read, check, compute the standard measures and "
        "hand them to the outcome store. Prints JSON; exits 1 if refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--partner", required=True, help="the partner's slug")
        parser.add_argument("--evaluation", required=True, help="the evaluation's code (UUID)")
        parser.add_argument("--kind", choices=ReturnImport.Kind.values, default="", help="the return's kind (default: detected)")
        parser.add_argument("--children", type=Path, help="the intervention group: a file of child identifiers, one a line")
        parser.add_argument("--comparison", type=Path, help="the comparison group: a file of child identifiers, one a line")
        parser.add_argument(
            "--from-intervention-start", action="store_true",
            help="the intervention group is the records on or after the plan's intervention start",
        )  # fmt: skip
        parser.add_argument(
            "--frequency", choices=[f for f in ReturnImport.Frequency.values if f], default="",
            help="the periods' length (default: each measure's usual frequency)",
        )  # fmt: skip
        parser.add_argument("--from", dest="period_from", type=_date, help="first day of the first period (YYYY-MM-DD)")
        parser.add_argument("--to", dest="period_to", type=_date, help="last day of the last period (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="check and show what would change; store nothing")
        parser.add_argument("--user", default="", help="e-mail of the partner member recorded as uploader (default: a lead)")

    def handle(self, *args, files, partner, evaluation, kind, children, comparison, from_intervention_start, frequency,
               period_from, period_to, dry_run, user, **options):  # fmt: skip
        try:
            code = uuid.UUID(evaluation)
        except ValueError:
            raise CommandError("--evaluation must be an evaluation code (a UUID).") from None
        if children and from_intervention_start:
            raise CommandError("Give --children or --from-intervention-start, not both.")
        if comparison and not children:
            raise CommandError("--comparison needs --children (the intervention group) too.")
        lists = {name: self._read_list(path) for name, path in (("intervention", children), ("comparison", comparison)) if path}
        groups = ReturnImport.Groups.LISTS if children else ReturnImport.Groups.RULE if from_intervention_start else "all"
        opened = []
        try:
            for path in files:
                try:
                    opened.append(path.open("rb"))  # streamed to the uploads storage, never read whole into memory
                except OSError as error:
                    raise CommandError(f"Cannot read {path}: {error.strerror}") from None
            row = self._import(
                [(path.name, File(handle, name=path.name)) for path, handle in zip(files, opened)],
                partner, code, user,
                kind=kind, dry_run=dry_run, frequency=frequency, period_from=period_from, period_to=period_to, groups=groups,
                intervention=lists.get("intervention"), comparison=lists.get("comparison"),
            )  # fmt: skip
        finally:
            for handle in opened:
                handle.close()
        summary = row.summary
        submission = row.submission
        out = {
            "kind": summary.get("kind", ""),
            "children": summary.get("children", 0),
            "records": summary.get("records", 0),
            "problems": summary.get("problems", []),
            "measures": services.ordered_measures(row.kind, summary.get("measures", {})),
            "status": row.status,
            "submission": None
            if submission is None
            else {
                "code": str(submission.code),
                "status": submission.status,
                "dry_run": submission.dry_run,
                "rows": submission.row_count,
                "changes": submission.change_counts(),
                "problems": submission.errors,
                "warnings": submission.warnings,
            },  # fmt: skip
        }
        self.stdout.write(json.dumps(out, indent=2))
        refused = row.status != ReturnImport.Status.DONE or submission is None or submission.status in ("rejected", "failed")
        if refused:
            raise SystemExit(1)

    def _read_list(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None

    def _import(self, files, partner: str, code, user: str, **options) -> ReturnImport:
        with transaction.atomic():
            found, actor = command_uploader(partner=partner, user=user)
            with partner_scope(found.pk):
                target = evaluation_selectors.evaluation_get(partner=found, code=code)
                if target is None:
                    raise CommandError(f"No evaluation {code} at {partner!r}.")
                try:
                    row = services.return_import_run(partner=found, actor=actor, evaluation=target, files=files, **options)
                except ValidationError as error:
                    raise CommandError(" ".join(error.messages)) from None
                row.submission  # noqa: B018 (read inside the scope)
                return row
