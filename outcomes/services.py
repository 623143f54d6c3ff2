"""Writes of outcome data: uploads are checked whole, then stored whole, or not at all."""

from django.db import connection, transaction

from outcomes.models import Measure, OutcomeValue, Submission
from outcomes.parsing import parse_outcome_csv
from pine.audit import audit_record
from pine.models import Partner, User


@transaction.atomic
def submission_upload(*, partner: Partner, actor: User, evaluation, filename: str, content: bytes) -> Submission:
    """Check a file and, if it has no problems, store its values, replacing earlier values of the
    same measure, group and period. A rejected file is kept with its problems, so the uploader can
    read them."""
    if evaluation.partner_id != partner.pk:
        raise ValueError("evaluation belongs to another partner")
    measures = {m.code: m for m in Measure.objects.all()}
    rows, problems = parse_outcome_csv(content, measure_units={code: m.unit for code, m in measures.items()})
    submission = Submission(
        partner=partner,
        evaluation=evaluation,
        filename=filename[:255],
        content=content,
        uploaded_by=actor,
        status=Submission.Status.REJECTED if problems else Submission.Status.ACCEPTED,
        row_count=len(rows),
        errors=[p.as_dict() for p in problems],
    )
    submission.full_clean(exclude=["content"])
    submission.save()
    if not problems:
        # Two uploads to one evaluation store one after the other, so one of them ends up current.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"outcomes.upload:{evaluation.pk}"])
        keys = {(r.measure, r.group, r.period_start) for r in rows}
        existing = OutcomeValue.objects.filter(partner=partner, evaluation=evaluation, period_start__in={k[2] for k in keys})
        stale = [v.pk for v in existing.select_related("measure") if (v.measure.code, v.group, v.period_start) in keys]
        OutcomeValue.objects.filter(pk__in=stale).delete()
        OutcomeValue.objects.bulk_create(
            OutcomeValue(
                partner=partner,
                evaluation=evaluation,
                submission=submission,
                measure=measures[r.measure],
                period_start=r.period_start,
                period_end=r.period_end,
                group=r.group,
                value=r.value,
                numerator=r.numerator,
                denominator=r.denominator,
            )
            for r in rows
        )
    audit_record(
        actor=actor,
        partner=partner,
        action=f"submission.{submission.status}",
        obj=submission,
        changes={"filename": submission.filename, "rows": len(rows), "problems": len(problems)},
    )
    return submission


@transaction.atomic
def measure_ensure(*, code: str, name: str, definition: str, unit: str, polarity: str) -> Measure:
    """Create or update a measure of the shared library (used by the seed data)."""
    measure, _ = Measure.objects.update_or_create(
        code=code, defaults={"name": name, "definition": definition, "unit": unit, "polarity": polarity}
    )
    return measure
