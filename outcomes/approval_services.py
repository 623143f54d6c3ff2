"""Writes of approval against the data: the practice team approves several periods in one action,
or sends one period back to the partner with a query; the partner answers it in words (or by
uploading the period again: ``outcomes.services`` answers the query when the upload is stored).

A period with an open query cannot be approved (``outcomes.services.period_approve`` refuses it):
approving locks the period, which would refuse the very upload the query may ask for. Once the
partner has answered, the period can be approved, or queried again.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from outcomes import services
from outcomes.models import OutcomeValue, PeriodApproval, PeriodQuery
from pine.audit import audited_create, audited_update
from pine.changes import announce_evaluation_changed
from pine.models import Partner, User
from pine.notifications import notify, partner_recipients

QUESTION_MAX = 5000
MAX_PERIODS_AT_ONCE = 500


@transaction.atomic
def periods_approve(*, actor: User, evaluation, period_starts: list[date]) -> list[PeriodApproval]:
    """Approve (and lock) several periods of an evaluation's data in one action: all of them, or,
    if any cannot be approved (no data, an open query), none, with every reason given at once.
    Periods already approved stay as they are. Each approval is audited."""
    services._practice_team(actor)
    starts = sorted(set(period_starts))
    if not starts:
        raise ValidationError({"period_starts": "Select the periods to approve."})
    if len(starts) > MAX_PERIODS_AT_ONCE:
        raise ValidationError({"period_starts": f"Approve at most {MAX_PERIODS_AT_ONCE} periods at once."})
    services._lock_evaluation(evaluation)
    with_data = set(
        OutcomeValue.objects.filter(
            partner_id=evaluation.partner_id, evaluation=evaluation, period_start__in=starts, is_current=True
        ).values_list("period_start", flat=True)
    )
    queried = set(
        PeriodQuery.objects.filter(
            partner_id=evaluation.partner_id, evaluation=evaluation, period_start__in=starts, answered_at__isnull=True
        ).values_list("period_start", flat=True)
    )
    problems = [f"There is no data for the period starting {start:%d/%m/%Y}." for start in starts if start not in with_data]
    problems += [
        f"The period starting {start:%d/%m/%Y} has a query the partner has not answered yet."
        for start in starts
        if start in queried
    ]
    if problems:
        raise ValidationError({"period_starts": problems})
    approvals = [services.period_approve(actor=actor, evaluation=evaluation, period_start=start) for start in starts]
    partner = evaluation.partner
    notify(
        recipients=partner_recipients(partner=partner), template="period_approved",
        context={"evaluation": evaluation, "partner": partner, "period_starts": starts},
        link=reverse("reports:evaluation", args=[partner.slug, evaluation.code]), partner=partner,
    )  # fmt: skip
    return approvals


@transaction.atomic
def period_query_send(*, actor: User, evaluation, period_start: date, question: str) -> PeriodQuery:
    """Send one period back to the partner with a question: its leads and contributors are notified
    (in PINE and by email). Audited."""
    services._practice_team(actor)
    question = question.strip()
    if not question:
        raise ValidationError({"question": "Write the question for the partner."})
    services._lock_evaluation(evaluation)
    if not OutcomeValue.objects.filter(
        partner_id=evaluation.partner_id, evaluation=evaluation, period_start=period_start, is_current=True
    ).exists():
        raise ValidationError({"period_start": "There is no data for this period to query."})
    if PeriodApproval.objects.filter(
        partner_id=evaluation.partner_id, evaluation=evaluation, period_start=period_start, unlocked_at__isnull=True
    ).exists():
        raise ValidationError({"period_start": "This period is approved: unlock it before you send it back to the partner."})
    if PeriodQuery.objects.filter(
        partner_id=evaluation.partner_id, evaluation=evaluation, period_start=period_start, answered_at__isnull=True
    ).exists():
        raise ValidationError({"period_start": "This period already has a query waiting for the partner's answer."})
    partner = evaluation.partner
    query = PeriodQuery(
        partner=partner, evaluation=evaluation, period_start=period_start, question=question[:QUESTION_MAX], asked_by=actor
    )
    audited_create(
        query,
        actor=actor,
        partner=partner,
        action="period.query",
        changes={"period_start": period_start, "question": query.question},
    )
    announce_evaluation_changed(partner_id=partner.pk, evaluation_id=evaluation.pk, what="query")
    notify(
        recipients=partner_recipients(partner=partner),
        template="period_query_sent",
        context={"query": query, "evaluation": evaluation, "partner": partner},
        link=reverse("outcomes:period_query", args=[partner.slug, query.code]),
        partner=partner,
    )
    return query


@transaction.atomic
def period_query_answer(*, partner: Partner, actor: User, query: PeriodQuery, answer: str) -> PeriodQuery:
    """The partner answers the practice team's query in words; whoever asked is notified. Audited."""
    if query.partner_id != partner.pk:
        raise ValueError("query belongs to another partner")
    if actor.is_practice_team and not actor.memberships.filter(partner=partner).exists():
        raise PermissionDenied("Only the partner answers its queries.")
    answer = answer.strip()
    if not answer:
        raise ValidationError({"answer": "Write your answer to the practice team's question."})
    query = PeriodQuery.objects.select_for_update().select_related("asked_by", "evaluation").get(pk=query.pk)
    if not query.is_open:
        raise ValidationError({"answer": "This query has been answered already."})
    audited_update(
        query,
        {"answer": answer[:QUESTION_MAX], "answered_by": actor, "answered_at": timezone.now()},
        actor=actor,
        partner=partner,
        action="period.query_answer",
        quiet=("answered_at",),
        also_record={"period_start": query.period_start},
    )
    announce_evaluation_changed(partner_id=partner.pk, evaluation_id=query.evaluation_id, what="query")
    notify(
        recipients=[query.asked_by],
        template="period_query_answered",
        context={"query": query, "evaluation": query.evaluation, "partner": partner, "by_upload": False},
        link=reverse("outcomes:practice_periods", args=[query.evaluation.code]),
        partner=partner,
    )
    return query
