"""Writes of statutory-return imports.

An import is a :class:`ReturnImport` row whose files wait, unread, in the uploads storage for a
worker. The worker (``return_import_process``, through the job runner) recognises the kind of
return, reads it with that return's package (child identifiers pseudonymised as they are read,
the same keyed HMAC as outcome uploads), and — if the return has no blocking problem — computes
the standard measures for the chosen periods and groups and hands them to the outcome store as an
ordinary submission (``outcomes.services``: the same checks, dry run, versions, period locks and
warnings as any upload), recorded with the return's kind as its source. The received files are
deleted once the import has finished, whatever its result. Nothing identifying is written to the
row, the logs or a message: counts, problems naming elements and fields, and the measures.
"""

import contextlib
import csv
import io
import logging
from dataclasses import asdict
from datetime import date

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from evaluations import selectors as evaluation_selectors
from measures import selectors as measure_selectors
from outcomes import services as outcome_services
from outcomes.children import pseudonym
from outcomes.models import Submission
from outcomes.parsing import upload_limits
from outcomes.periods import periods_within
from pine import jobs
from pine.audit import audit_record, audited_create
from pine.models import Partner, User
from returns import registry
from returns.groups import read_children
from returns.models import ReturnImport
from returns.types import ALL, Group, Period

logger = logging.getLogger(__name__)

MAX_FILES = 20
OUTCOME_COLUMNS = ["measure", "period_start", "period_end", "group", "value", "numerator", "denominator"]


def pseudonymiser():
    """The keyed HMAC outcome uploads use (``outcomes.children.pseudonym``), under the current key."""
    version = settings.PSEUDONYM_KEY_VERSION
    key = settings.PSEUDONYM_KEYS.get(version, "")
    return lambda ref: pseudonym(ref, key=key, version=version)


def _problem(message: str, where: str = "", field: str = "") -> dict:
    return {"severity": "error", "where": where, "field": field, "message": message}


# --- queueing -----------------------------------------------------------------------------------------


def _children_list(content: bytes | None, label: str) -> list[str]:
    if not content:
        return []
    children, problems = read_children(content, pseudonymise=pseudonymiser(), label=label)
    if problems:
        raise ValidationError({label.split()[1]: problems[0].message})
    return sorted(children)


def _return_import_new(
    *,
    partner: Partner,
    actor: User,
    evaluation,
    files: list[tuple[str, File | bytes]],
    kind: str = "",
    dry_run: bool = False,
    frequency: str = "",
    period_from: date | None = None,
    period_to: date | None = None,
    groups: str = ReturnImport.Groups.ALL,
    intervention: bytes | None = None,
    comparison: bytes | None = None,
) -> ReturnImport:
    if evaluation.partner_id != partner.pk:
        raise ValueError("evaluation belongs to another partner")
    # No data enters the platform, not even for a dry run, without a data sharing agreement in force.
    blocker = evaluation_selectors.evaluation_upload_blocker(partner=partner, evaluation=evaluation)
    if blocker:
        raise ValidationError(blocker, code="no_data_sharing_agreement")
    if not files:
        raise ValidationError({"files": "Choose the return's file or files."})
    if len(files) > MAX_FILES:
        raise ValidationError({"files": f"Send at most {MAX_FILES} files at a time."})
    if kind and kind not in ReturnImport.Kind.values:
        raise ValidationError({"kind": f"Choose one of {', '.join(ReturnImport.Kind.values)}, or let PINE tell."})
    if frequency not in ReturnImport.Frequency.values:
        raise ValidationError({"frequency": "Choose how long each period is."})
    if period_from and period_to and period_from > period_to:
        raise ValidationError({"period_to": "The last period must end after the first one starts."})
    max_bytes = upload_limits()[0]
    contents = [(name, ContentFile(content) if isinstance(content, bytes) else content) for name, content in files]
    for _, content in contents:
        if content.size > max_bytes:
            raise ValidationError({"files": f"Each file must be smaller than {max_bytes // (1024 * 1024)} MB."})
    row = ReturnImport(
        partner=partner,
        evaluation=evaluation,
        requested_kind=kind,
        dry_run=dry_run,
        frequency=frequency,
        period_from=period_from,
        period_to=period_to,
        groups=groups,
        uploaded_by=actor,
        file_count=len(contents),
        stage="Waiting for a worker",
    )
    if groups == ReturnImport.Groups.LISTS:
        if not intervention:
            raise ValidationError({"intervention": "Upload the list of children in the intervention group."})
        row.intervention_children = _children_list(intervention, "the intervention list")
        row.comparison_children = _children_list(comparison, "the comparison list")
    elif groups == ReturnImport.Groups.RULE:
        plan = evaluation_selectors.plan_current(partner=partner, evaluation=evaluation)
        if plan is None or not plan.intervention_start:
            raise ValidationError({"groups": "The evaluation plan has no intervention start date yet: add it to the plan first."})
    audited_create(
        row,
        actor=actor,
        partner=partner,
        action="return_import.queue",
        changes={"files": len(contents), "bytes": sum(c.size for _, c in contents), "kind": kind, "dry_run": dry_run,
                 "groups": groups},
    )  # fmt: skip
    # Stored as received, named by the import and position (a file's name may say who it is about).
    storage = storages["uploads"]
    stored = []
    try:
        for number, (name, content) in enumerate(contents, start=1):
            content.seek(0)
            saved = storage.save(f"returns/{partner.pk}/{row.code}/received-{number}", content)
            stored.append({"name": (name or f"file-{number}")[-255:], "stored": saved, "bytes": content.size})
    except BaseException:
        _delete_files([f["stored"] for f in stored])
        raise
    ReturnImport.objects.filter(pk=row.pk).update(files=stored)
    row.files = stored
    return row


def _delete_files(names: list[str]) -> None:
    storage = storages["uploads"]
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete a received return file", exc_info=True)


def _delete_on_commit(names: list[str]) -> None:
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: _delete_files(names))


def _enqueue(row: ReturnImport) -> None:
    from returns.tasks import process_return_import

    jobs.enqueue(process_return_import, row.pk)


@transaction.atomic
def return_import_queue(*, partner: Partner, actor: User, evaluation, files, **options) -> ReturnImport:
    """Record an import and hand it to a worker once this transaction has committed. Nothing of the
    return is read here (the children lists are pseudonymised as they arrive)."""
    row = _return_import_new(partner=partner, actor=actor, evaluation=evaluation, files=files, **options)
    _enqueue(row)
    return row


@transaction.atomic
def return_import_run(*, partner: Partner, actor: User, evaluation, files, **options) -> ReturnImport:
    """Record an import and process it now, in this process (the ``import_return`` command): the
    same stages as the worker's, the outcome submission processed in-process too."""
    row = _return_import_new(partner=partner, actor=actor, evaluation=evaluation, files=files, **options)
    try:
        return_import_process(return_import_id=row.pk, inline=True)
    except BaseException:  # everything rolls back: the received files go too
        _delete_files([f["stored"] for f in row.files])
        raise
    row.refresh_from_db()
    return row


# --- the worker's stages ------------------------------------------------------------------------------


class ReturnReadError(Exception):
    """A return's reader failed unexpectedly. Only the error's type is kept: its message could
    quote the file."""


def return_import_process(*, return_import_id: int, inline: bool = False) -> str:
    return jobs.run_job(
        ReturnImport,
        return_import_id,
        lambda job: _process(job, inline),
        first_stage="Reading the return",
        failure=_failure,
        discard=_discard_files,
    )


def _discard_files(return_import_id: int) -> None:
    """Nothing of a failed import is kept (run in the transaction that marks it failed)."""
    files = ReturnImport.objects.filter(pk=return_import_id).values_list("files", flat=True).first() or []
    ReturnImport.objects.filter(pk=return_import_id).update(files=[])
    _delete_on_commit([f["stored"] for f in files])


def _failure(cause: str) -> dict:
    because = f" because {cause}" if cause else ""
    reason = f"The return could not be processed{because}. Nothing was stored; try again later."
    return {"stage": "Failed", "summary": {"problems": [_problem(reason)]}}


def _finish(row: ReturnImport, status: str, summary: dict, submission: Submission | None = None) -> str:
    ReturnImport.objects.filter(pk=row.pk).update(
        status=status,
        progress=100,
        stage=ReturnImport.Status(status).label,
        finished_at=timezone.now(),
        summary=summary,
        kind=summary.get("kind", ""),
        submission=submission,
        files=[],
    )
    _delete_on_commit([f["stored"] for f in row.files])
    audit_record(
        actor=row.uploaded_by,
        partner=row.partner,
        action=f"return_import.{status}",
        obj=row,
        changes={"kind": summary.get("kind", ""), "children": summary.get("children", 0), "records": summary.get("records", 0),
                 "problems": len(summary.get("problems", [])), "submission": str(submission.code) if submission else ""},
    )  # fmt: skip
    return status


def _process(job: jobs.Job, inline: bool) -> str:
    with job.atomic():
        row = ReturnImport.objects.select_related("partner", "evaluation", "uploaded_by").get(pk=job.pk)
        library = {m.code: m for m in measure_selectors.measure_list(partner=row.partner)}
        plan = evaluation_selectors.plan_current(partner=row.partner, evaluation=row.evaluation)
    storage = storages["uploads"]
    with contextlib.ExitStack() as stack:
        try:
            opened = [(f["name"], stack.enter_context(storage.open(f["stored"], "rb"))) for f in row.files]
        except (OSError, KeyError):
            with job.atomic():
                gone = _problem("The files are no longer stored. Send them again.")
                return _finish(row, ReturnImport.Status.FAILED, {"problems": [gone]})
        heads = []
        for name, handle in opened:
            heads.append((name, handle.read(registry.HEAD_BYTES)))
            handle.seek(0)
        kind, reason = registry.choose(heads, row.requested_kind)
        if kind is None:
            with job.atomic():
                return _finish(row, ReturnImport.Status.REFUSED, {"kind": "", "problems": [_problem(reason, "the files")]})
        module = registry.module(kind)
        job.progress(10, "Reading the return")
        try:
            read = module.read(opened, pseudonymise=pseudonymiser())
        except Exception as error:  # the reader's message could quote the file: keep only its type
            raise ReturnReadError(type(error).__name__) from None
    summary = {
        "kind": kind,
        "children": int(read.children),
        "records": int(read.records),
        "problems": [asdict(p) for p in read.problems],
        "measures": {},
    }
    if read.blocked:
        with job.atomic():
            return _finish(row, ReturnImport.Status.REFUSED, summary)
    job.progress(60, "Computing the measures")
    codes = [code for code in module.MEASURES if code in library]
    spans = _spans(kind, read, row, plan)
    groups = _groups(row, plan)
    population = _population(row.evaluation)
    frames = []
    by_frequency: dict[str, list[str]] = {}
    for code in codes:
        by_frequency.setdefault(row.frequency or library[code].frequency, []).append(code)
    for frequency, chosen in by_frequency.items():
        periods = [Period(start, end) for first, last in spans for start, end in periods_within(first, last, frequency)]
        if not periods:
            continue
        frame = module.measures(read, periods=periods, groups=groups, population=population)
        frames.append(frame[frame["measure"].isin(chosen)])
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OUTCOME_COLUMNS)
    if not frame.empty:  # the package's order of measures, then periods, then groups as given
        order = {code: n for n, code in enumerate(module.MEASURES)}
        frame = frame.assign(_order=frame["measure"].map(order)).sort_values(["_order", "period_start"], kind="stable")
        frame = frame.drop(columns="_order").reset_index(drop=True)
    frame = _one_form_for_counts(frame)
    summary["measures"] = measures_json(frame)
    if frame.empty:
        summary["problems"].append(
            _problem(
                "No whole period lies inside both the years the return covers and the evaluation plan's baseline and "
                "follow-up (or the periods you chose). Choose other periods, or send the return of another year."
            )
        )
        with job.atomic():
            return _finish(row, ReturnImport.Status.REFUSED, summary)
    job.progress(80, "Handing the measures to the outcome store")
    content = outcome_csv(frame)
    submit = outcome_services.submission_upload if inline else outcome_services.submission_queue
    with job.atomic():
        submission = submit(
            partner=row.partner,
            actor=row.uploaded_by,
            evaluation=row.evaluation,
            filename=f"{kind}-measures.csv",
            content=content,
            dry_run=row.dry_run,
            source=kind,
        )
        return _finish(row, ReturnImport.Status.DONE, summary, submission)


def _spans(kind: str, read, row: ReturnImport, plan) -> list[tuple[date, date]]:
    """The spans periods are made in: those the return covers completely (merged where they meet),
    within the periods chosen and the plan's baseline-to-follow-up window."""
    covered = sorted(registry.coverage(kind, read))
    merged: list[list[date]] = []
    for first, last in covered:
        if merged and first <= merged[-1][1] + pd.Timedelta(days=1).to_pytimedelta():
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    if not merged:  # a return that does not say what it covers: the periods chosen, or the plan's window
        first = row.period_from or (plan.baseline_start if plan else None)
        last = row.period_to or (plan.follow_up_end if plan else None)
        if first and last:
            merged = [[first, last]]
    lower = [d for d in (row.period_from, plan.baseline_start if plan else None) if d]
    upper = [d for d in (row.period_to, plan.follow_up_end if plan else None) if d]
    spans = []
    for first, last in merged:
        first = max([first, *lower])
        last = min([last, *upper])
        if first <= last:
            spans.append((first, last))
    return spans


def _groups(row: ReturnImport, plan) -> list[Group]:
    groups = [ALL]
    if row.groups == ReturnImport.Groups.LISTS:
        groups.append(Group("intervention", children=frozenset(row.intervention_children)))
        if row.comparison_children:
            groups.append(Group("comparison", children=frozenset(row.comparison_children)))
    elif row.groups == ReturnImport.Groups.RULE and plan is not None and plan.intervention_start:
        groups.append(Group("intervention", from_date=plan.intervention_start))
    return groups


def _population(evaluation) -> dict[int, int]:
    return {int(year): int(count) for year, count in (evaluation.population or {}).items() if int(count) > 0}


def _number(value) -> float | int | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return int(value) if float(value).is_integer() else round(float(value), 4)


def ordered_measures(kind: str, measures: dict[str, list]) -> dict[str, list]:
    """An import's measures in its return's order (the database's JSON keeps keys in its own)."""
    found = registry.module(kind) if kind else None
    order = {code: n for n, code in enumerate(getattr(found, "MEASURES", ()))}
    return dict(sorted(measures.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def _one_form_for_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """A count is its value alone: a numerator without a denominator is refused by the outcome store
    (some readers give a count's numerator as well as its value)."""
    if frame.empty:
        return frame
    frame = frame.copy()
    frame["numerator"] = frame["numerator"].astype(object).where(frame["denominator"].notna(), None)
    return frame


def measures_json(frame: pd.DataFrame) -> dict[str, list[dict]]:
    """The command's ``measures``: each code's rows, the partner's own figures (unsuppressed)."""
    out: dict[str, list[dict]] = {}
    for row in frame.itertuples(index=False):
        out.setdefault(row.measure, []).append(
            {
                "period_start": row.period_start.isoformat(),
                "period_end": row.period_end.isoformat(),
                "group": row.group,
                "value": _number(row.value),
                "numerator": _number(row.numerator),
                "denominator": _number(row.denominator),
            }
        )
    return out


def outcome_csv(frame: pd.DataFrame) -> bytes:
    """The measures as an outcome data file (PINE's aggregate format). A value that cannot be
    worked out is sent empty only with a denominator of 0 (a proportion of nothing); one without a
    population or with nothing to take a median of is left out: not estimable, never guessed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUTCOME_COLUMNS)
    for row in frame.itertuples(index=False):
        value, numerator, denominator = _number(row.value), _number(row.numerator), _number(row.denominator)
        if value is None and not (numerator == 0 and denominator == 0):
            continue
        writer.writerow(
            [row.measure, row.period_start.isoformat(), row.period_end.isoformat(), row.group,
             "" if value is None else value, "" if numerator is None else numerator, "" if denominator is None else denominator]
        )  # fmt: skip
    return out.getvalue().encode()
