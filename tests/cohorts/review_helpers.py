"""Shared set-ups of the review tests (and of the panel's): a cohort being reviewed, with its
rubric, its reviewers and their submitted reviews.

Built with the factories (no services), so a test of a service cannot be masked by its own set-up.
"""

from collections.abc import Callable

from cohorts.models import Application, Cohort, Criterion, ReviewAssignment
from tests import factories

# The standard rubric (the same as ``cohorts.services.reviews.STANDARD_RUBRIC``): a 4-point scale,
# four counted criteria and one recorded but not counted.
SCALE = [
    (1, "Weak"),
    (2, "Adequate"),
    (3, "Good"),
    (4, "Strong"),
]
CRITERIA = [
    # (title, weight, counted)
    ("Promise of the practice", 2, True),
    ("Measurable outcomes", 1, True),
    ("Data and readiness", 1, True),
    ("Partnership and joint working", 1, True),
    ("Fit with the round's theme", 1, False),
]


def default_score(reviewer_index: int, application_index: int, criterion_index: int) -> int:
    """1 to 4, varying with the reviewer, the application and the criterion."""
    return (reviewer_index + application_index + criterion_index) % 4 + 1


def add_rubric(cohort: Cohort) -> list[Criterion]:
    """The standard scale and criteria on ``cohort``; returns its criteria in order."""
    for score, label in SCALE:
        factories.ScaleLevelFactory(cohort=cohort, score=score, label=label, descriptor=f"{label}: what a {score} means.")
    return [
        factories.CriterionFactory(
            cohort=cohort, position=i + 1, title=title, description=f"How well it shows {title.lower()}.", weight=w, counted=c
        )
        for i, (title, w, c) in enumerate(CRITERIA)
    ]


def make_reviewed_cohort(
    n_applications: int = 3,
    reviewers: int = 2,
    *,
    score: Callable[[int, int, int], int] = default_score,
    **cohort_fields,
) -> tuple[Cohort, list[Application], list]:
    """A cohort in the reviewing stage with the standard rubric, ``n_applications`` screened-eligible
    applications (each from its own partner, with one agency) and ``reviewers`` reviewers, every
    one assigned to every application (no conflict) and with a submitted review of it scoring
    every criterion: ``score(reviewer_index, application_index, criterion_index)`` (0-based).

    Returns ``(cohort, applications, reviewers)``; the rubric is ``cohort.criteria.all()``.
    """
    cohort = factories.CohortFactory(status=Cohort.Status.REVIEWING, reviewers_per_application=max(reviewers, 1), **cohort_fields)
    criteria = add_rubric(cohort)
    users = [factories.ReviewerFactory(full_name=f"Reviewer {i + 1}") for i in range(reviewers)]
    applications = []
    for a in range(n_applications):
        partner = factories.PartnerFactory()
        factories.PartnerAgencyFactory(partner=partner, name=f"{partner.name} Police")
        application = factories.CompleteApplicationFactory(
            partner=partner,
            cohort=cohort,
            status=Application.Status.ELIGIBLE,
            submitted_at=cohort.deadline_at,
            practice_title=f"Practice {a + 1}",
        )
        applications.append(application)
        for r, user in enumerate(users):
            assignment = factories.ReviewAssignmentFactory(
                application=application, reviewer=user, conflict=ReviewAssignment.Conflict.NONE
            )
            review = factories.ReviewFactory(
                assignment=assignment, status="submitted", comments=f"Overall view of {user.full_name}."
            )
            for c, criterion in enumerate(criteria):
                factories.ScoreFactory(review=review, criterion=criterion, score=score(r, a, c))
    return cohort, applications, users
