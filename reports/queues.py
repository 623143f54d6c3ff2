"""The practice team's work queue: what waits for their action, across every partner, read through
each app's selectors. Practice admins and analysts see every list; a reviewer sees only the
reviews assigned to them. Each list is one or two queries, however many partners there are (a
test holds the count)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone

from cohorts.selectors import enquiries as enquiry_selectors
from cohorts.selectors import queues as cohort_queues
from cohorts.selectors import reviews as review_selectors
from evaluations import selectors as evaluation_selectors
from outcomes import approval_selectors
from pine.access import ADMINS_AND_ANALYSTS
from pine.models import User


@dataclass(frozen=True)
class QueueItem:
    partner: str  # empty where the reader may not know it (a blind review)
    title: str
    detail: str
    link: str  # straight to the action
    action: str
    since: date | None = None  # when it started waiting
    due: date | None = None  # a deadline, where there is one
    who: str = ""  # the reviewer, for reviews


@dataclass
class QueueSection:
    key: str
    title: str
    empty: str
    items: list[QueueItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)


def _day(moment: datetime | date | None) -> date | None:
    if isinstance(moment, datetime):
        return timezone.localdate(moment)
    return moment


def _applications(applications, action: str) -> list[QueueItem]:
    return [
        QueueItem(
            partner=a.partner.name,
            title=a.practice_title,
            detail=a.cohort.name,
            link=reverse("cohorts:practice_application", args=[a.code]),
            action=action,
            since=_day(a.submitted_at),
        )
        for a in applications
    ]


def _reviews(user: User, *, everyone: bool) -> list[QueueItem]:
    items = []
    for assignment in cohort_queues.reviews_outstanding(reviewer=None if everyone else user):
        application, own = assignment.application, assignment.reviewer_id == user.pk
        # A reviewer is shown an application only as its review shows it (blind review hides the partner).
        blind = application.cohort.blind_review and not everyone
        items.append(
            QueueItem(
                partner="" if blind else application.partner.name,
                title=review_selectors.assignment_label(assignment) if blind else application.practice_title,
                detail=application.cohort.name,
                link=reverse("cohorts:review_detail", args=[assignment.code])
                if own
                else reverse("cohorts:practice_assignments", args=[application.cohort.slug]),
                action="Review it" if own else "See the assignments",
                since=_day(assignment.assigned_at),
                due=_day(application.cohort.review_ends_at),
                who=assignment.reviewer.full_name or assignment.reviewer.email,
            )
        )
    return items


def _enquiries() -> list[QueueItem]:
    """'Discuss your application' messages not yet answered."""
    return [
        QueueItem(
            partner=enquiry.partner.name if enquiry.partner else f"{enquiry.organisation or enquiry.name} (not registered)",
            title=f"Message from {enquiry.name}",
            detail=enquiry.cohort.name,
            link=reverse("cohorts:practice_enquiry", args=[enquiry.code]),
            action="Read and reply",
            since=_day(enquiry.created_at),
        )
        for enquiry in enquiry_selectors.enquiries_waiting()
    ]


def _plans() -> list[QueueItem]:
    return [
        QueueItem(
            partner=plan.evaluation.partner.name,
            title=plan.evaluation.title,
            detail=f"Plan version {plan.version}",
            link=reverse("evaluations:practice_evaluation", args=[plan.evaluation.code]),
            action="Read it, then sign off or ask for changes",
            since=_day(plan.created_at),
        )
        for plan in evaluation_selectors.plans_awaiting_sign_off()
    ]


def _uploads() -> list[QueueItem]:
    return [
        QueueItem(
            partner=submission.partner.name,
            title=submission.evaluation.title,
            detail=f"{submission.filename}: {len(submission.warnings)} warning{'s' if len(submission.warnings) != 1 else ''}, "
            f"uploaded by {submission.uploaded_by.full_name or 'the partner'}",
            link=reverse("evaluations:practice_evaluation", args=[submission.evaluation.code]),
            action="See the evaluation",
            since=_day(submission.created_at),
        )
        for submission in approval_selectors.uploads_waiting_for_explanation()
    ]


def _periods() -> list[QueueItem]:
    items = []
    for row in approval_selectors.periods_awaiting_approval():
        evaluation = row["evaluation"]
        detail = f"{row['waiting']} period{'s' if row['waiting'] != 1 else ''} from {row['first']:%-d %b %Y}"
        if row["queried"]:
            detail += f"; {row['queried']} waiting for the partner's answer to a query"
        items.append(
            QueueItem(
                partner=evaluation.partner.name,
                title=evaluation.title,
                detail=detail,
                link=reverse("outcomes:practice_periods", args=[evaluation.code]),
                action="Look at the data and approve",
                since=row["first"],
            )
        )
    return items


def _agreements() -> list[QueueItem]:
    return [
        QueueItem(
            partner=onboarding.evaluation.partner.name,
            title=onboarding.evaluation.title,
            detail=f"{onboarding.dsa_filename}, signed {onboarding.dsa_signed_on:%-d %b %Y}, "
            f"expires {onboarding.dsa_expires_on:%-d %b %Y}",
            link=reverse("evaluations:practice_agreement", args=[onboarding.evaluation.code]),
            action="Verify",
            since=_day(onboarding.updated_at),
        )
        for onboarding in evaluation_selectors.agreements_to_verify()
    ]


def work_queue(*, user: User) -> list[QueueSection]:
    """The sections of the user's work queue, each with its items (oldest first)."""
    if not (user.is_practice_team and user.practice_role in ADMINS_AND_ANALYSTS):
        return [QueueSection("reviews", "Your reviews outstanding", "You have no reviews to do.", _reviews(user, everyone=False))]
    return [
        QueueSection(
            "applications",
            "Applications to screen",
            "No application waits for screening.",
            _applications(cohort_queues.applications_to_screen(user=user), "Screen"),
        ),
        QueueSection(
            "responses",
            "Responses to requests for more information",
            "No answer to a request for more information waits.",
            _applications(cohort_queues.information_responses(user=user), "Read the answer and screen"),
        ),
        QueueSection("enquiries", "Messages about open calls", "No message about an open call waits for a reply.", _enquiries()),
        QueueSection("reviews", "Reviews outstanding", "No review is outstanding.", _reviews(user, everyone=True)),
        QueueSection("plans", "Plans awaiting sign-off", "No plan waits for sign-off.", _plans()),
        QueueSection("uploads", "Uploads waiting for an explanation", "No upload waits for an explanation.", _uploads()),
        QueueSection("periods", "Periods awaiting approval", "No period of data waits for approval.", _periods()),
        QueueSection(
            "agreements", "Data sharing agreements to verify", "No data sharing agreement waits to be verified.", _agreements()
        ),
    ]
