"""Reads of review: a cohort's rubric, its reviewers and their assignments, and what one reviewer
may see of an application and of its reviews.

Every read made for a reviewer is scoped by the reviewer *and* an active assignment (no conflict
declared): another reviewer's assignment, one ended by a conflict and one that does not exist are
the same ``None`` (so the same 404).

Blind review: :data:`BLINDED_FIELDS` and :func:`blind_terms` are the one place that decides what a
blinded reviewer never receives; :func:`application_for_reviewer` is the only way pages and the API
show a reviewer an application.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from cohorts.models import Application, Cohort, Criterion, Review, ReviewAssignment, ScaleLevel, Score
from cohorts.selectors.applications import FIELD_LABELS, display_answer
from measures import selectors as measure_selectors
from pine.access import REVIEWERS
from pine.models import User

# Who can review (be assigned manually): reviewers and practice admins. Automatic assignment
# balances the load across reviewers only.
REVIEWER_ROLES = REVIEWERS  # who may be assigned by hand
AUTO_REVIEWER_ROLES = frozenset({User.PracticeRole.REVIEWER})
# Applications that are reviewed: those screened eligible.
REVIEWABLE = frozenset({Application.Status.ELIGIBLE})


# --- the rubric --------------------------------------------------------------------------------------


def criterion_list(*, cohort: Cohort) -> QuerySet[Criterion]:
    return Criterion.objects.filter(cohort=cohort).order_by("position")


def criterion_get(*, cohort: Cohort, position) -> Criterion | None:
    try:
        position = int(position)
    except (TypeError, ValueError):
        return None
    return criterion_list(cohort=cohort).filter(position=position).first()


def scale_list(*, cohort: Cohort) -> QuerySet[ScaleLevel]:
    return ScaleLevel.objects.filter(cohort=cohort).order_by("score")


def scale_level_get(*, cohort: Cohort, score) -> ScaleLevel | None:
    try:
        score = int(score)
    except (TypeError, ValueError):
        return None
    return scale_list(cohort=cohort).filter(score=score).first()


def rubric_locked(*, cohort: Cohort) -> bool:
    """Once a review of the cohort is submitted its rubric is fixed."""
    return Review.objects.filter(application__cohort=cohort, status=Review.Status.SUBMITTED).exists()


# --- reviewers and assignments ---------------------------------------------------------------------


def reviewer_list(*, roles: frozenset[str] = REVIEWER_ROLES) -> QuerySet[User]:
    """Practice-team users who can review, by name."""
    return User.objects.filter(is_active=True, is_staff=True, practice_role__in=roles).order_by("full_name", "email")


def reviewer_get(*, email: str) -> User | None:
    return reviewer_list().filter(email__iexact=(email or "").strip()).first()


def reviewable_application_list(*, cohort: Cohort) -> QuerySet[Application]:
    """The cohort's screened-eligible applications, oldest submission first."""
    return (
        Application.objects.filter(cohort=cohort, status__in=REVIEWABLE)
        .select_related("partner", "cohort")
        .order_by("submitted_at", "pk")
    )


def reviewable_application_get(*, cohort: Cohort, code) -> Application | None:
    return reviewable_application_list(cohort=cohort).filter(code=code).first()


def assignment_list_for_cohort(*, cohort: Cohort) -> QuerySet[ReviewAssignment]:
    """Every assignment in the cohort (those ended by a conflict too), with its review."""
    return (
        ReviewAssignment.objects.filter(application__cohort=cohort)
        .select_related("reviewer", "application", "application__partner")
        .annotate(
            submitted=Count("review", filter=Q(review__status=Review.Status.SUBMITTED)),
            started=Count("review"),
        )
        .order_by("application__submitted_at", "application__pk", "assigned_at")
    )


def assignment_get_for_admin(*, code) -> ReviewAssignment | None:
    return ReviewAssignment.objects.select_related("reviewer", "application", "application__cohort").filter(code=code).first()


def review_load(*, cohort: Cohort) -> dict[int, int]:
    """Active assignments in the cohort, by reviewer id."""
    rows = (
        ReviewAssignment.objects.filter(application__cohort=cohort)
        .exclude(conflict=ReviewAssignment.Conflict.DECLARED)
        .values("reviewer")
        .annotate(n=Count("id"))
    )
    return {row["reviewer"]: row["n"] for row in rows}


# The conflict-of-interest gate: one rule for the review path and for everything else a practice
# admin does with an application. Someone who declared a conflict with an application no longer
# reviews it (their assignment is no longer active: the same 404 as none), and cannot read it or
# decide on it as an admin either (``conflict_refusal``: a 403 that says why).
DECLARED_CONFLICT = Q(conflict=ReviewAssignment.Conflict.DECLARED)


def _active(qs: QuerySet[ReviewAssignment]) -> QuerySet[ReviewAssignment]:
    return qs.exclude(DECLARED_CONFLICT)


def conflicted_application_ids(*, user: User) -> QuerySet:
    """The applications the user declared a conflict of interest with (ids, as a subquery)."""
    return ReviewAssignment.objects.filter(DECLARED_CONFLICT, reviewer=user).values("application_id")


def conflict_refusal(*, user: User, application: Application) -> str | None:
    """Why the user may not read or decide on this application: they declared a conflict of
    interest with it. None when they did not."""
    if not ReviewAssignment.objects.filter(DECLARED_CONFLICT, reviewer=user, application=application).exists():
        return None
    return (
        "You declared a conflict of interest with this application, so you cannot read it, screen it "
        "or record its decision: another practice admin must do that."
    )


def assignment_list_for_reviewer(*, reviewer: User) -> QuerySet[ReviewAssignment]:
    """The reviewer's active assignments (a declared conflict ends one), newest cohort first."""
    return (
        _active(ReviewAssignment.objects.filter(reviewer=reviewer))
        .select_related("application", "application__cohort", "application__partner")
        .annotate(
            submitted=Count("review", filter=Q(review__status=Review.Status.SUBMITTED)),
            started=Count("review"),
        )
        .order_by("-application__cohort__opens_at", "application__submitted_at", "application__pk")
    )


def assignment_get_for_reviewer(*, reviewer: User, code) -> ReviewAssignment | None:
    """This reviewer's active assignment with this code; anyone else's (or none) is None."""
    return (
        _active(ReviewAssignment.objects.filter(reviewer=reviewer, code=code))
        .select_related("application", "application__cohort", "application__partner", "reviewer")
        .first()
    )


def review_get_for_reviewer(*, assignment: ReviewAssignment) -> Review | None:
    """The reviewer's own review of the assignment (draft or submitted), with its scores."""
    return (
        Review.objects.filter(assignment=assignment, reviewer=assignment.reviewer)
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .first()
    )


def other_reviews_for_reviewer(*, assignment: ReviewAssignment) -> list[Review]:
    """Other reviewers' submitted reviews of the application: only once this reviewer has
    submitted their own (reviews are independent until then)."""
    own = Review.objects.filter(assignment=assignment, reviewer=assignment.reviewer, status=Review.Status.SUBMITTED)
    if not own.exists():
        return []
    return list(
        Review.objects.filter(application=assignment.application, status=Review.Status.SUBMITTED)
        .exclude(reviewer=assignment.reviewer)
        .select_related("reviewer")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .order_by("submitted_at", "pk")
    )


# --- blind review: what a reviewer sees of an application ----------------------------------------

# Fields a blinded reviewer never receives in any form. The partner's name, slug, local authority
# code, region and agencies are never copied into a reviewer's view when blind; these answers are
# left out; every other answer has the partner's and its agencies' names (and the places in them)
# replaced by REDACTED.
BLINDED_FIELDS = frozenset({"senior_sponsor"})
REDACTED = "[removed for blind review]"
# Words in an organisation's name that name no place ("Northshire County Council" → "Northshire").
_GENERIC_WORDS = frozenset(
    """
    and the of for in on at with council county city borough district metropolitan royal unitary
    police constabulary force nhs trust foundation health care integrated board icb hospital hospitals
    safeguarding partnership partners children childrens young people families family services service
    education school schools academy trust youth justice team local authority community voluntary
    """.split()
)


def blind_terms(application: Application) -> list[str]:
    """What identifies the applicant in free text: the partner's and agencies' names, its slug and
    the place words in those names. Longest first, so a full name is replaced before its parts."""
    partner = application.partner
    names = [partner.name, *partner.agencies.values_list("name", flat=True)]
    terms = {n for n in names if n} | {partner.slug, partner.slug.replace("-", " ")}
    for name in names:
        for word in re.findall(r"[A-Za-z][A-Za-z'’-]+", name or ""):
            bare = word.strip("'’-")
            if len(bare) >= 4 and bare.lower().removesuffix("'s").removesuffix("’s") not in _GENERIC_WORDS:
                terms.add(bare)
    if partner.la_code:
        terms.add(partner.la_code)
    if partner.region:
        terms.add(partner.get_region_display())
    return sorted((t for t in terms if t), key=len, reverse=True)


def redact(text: str, terms: list[str]) -> str:
    if not text or not terms:
        return text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)", re.IGNORECASE)
    return pattern.sub(REDACTED, text)


@dataclass(frozen=True)
class ReviewerSection:
    slug: str
    title: str
    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class ReviewerApplication:
    """An application as a reviewer sees it. When ``blind`` it holds nothing that names the
    applicant: no partner, no agencies, no place, only ``reference``."""

    code: str
    reference: str
    cohort_name: str
    practice_title: str
    status: str
    blind: bool
    sections: list[ReviewerSection]
    partner_name: str = ""
    agencies: list[str] = field(default_factory=list)
    region: str = ""
    la_code: str = ""


def application_reference(application: Application) -> str:
    """A neutral name for an application: its code's first 8 characters."""
    return f"Application {str(application.code)[:8].upper()}"


def application_for_reviewer(application: Application) -> ReviewerApplication:
    """The application as its reviewers see it: blinded when the cohort reviews blind."""
    blind = application.cohort.blind_review
    terms = blind_terms(application) if blind else []
    measure_names = dict(measure_selectors.measure_list().values_list("code", "name"))
    sections = []
    for section in application.sections():
        rows = []
        for name in section.fields:
            if blind and name in BLINDED_FIELDS:
                continue
            rows.append((FIELD_LABELS[name], redact(display_answer(name, getattr(application, name), measure_names), terms)))
        sections.append(ReviewerSection(section.slug, section.title, rows))
    shown = {}
    if not blind:
        partner = application.partner
        shown = {
            "partner_name": partner.name,
            "agencies": list(partner.agencies.values_list("name", flat=True)),
            "region": partner.get_region_display() if partner.region else "",
            "la_code": partner.la_code,
        }
    return ReviewerApplication(
        code=str(application.code),
        reference=application_reference(application),
        cohort_name=application.cohort.name,
        practice_title=redact(application.practice_title, terms),
        status=application.get_status_display(),
        blind=blind,
        sections=sections,
        **shown,
    )


def assignment_label(assignment: ReviewAssignment) -> str:
    """How a reviewer's list names an assignment: the reference, and the practice when not blind."""
    application = assignment.application
    if application.cohort.blind_review:
        return application_reference(application)
    return f"{application.practice_title} ({application.partner.name})"


@dataclass(frozen=True)
class Applicant:
    """Who applied, as a reviewer needs to know it to declare a conflict of interest: the
    partnership and each agency with its type (the lead first)."""

    partner_name: str
    agencies: list[tuple[str, str, bool]]  # (name, type, is the lead)


def applicant_for_conflict(application: Application) -> Applicant | None:
    """The partnership and its agencies, shown before the reviewer declares; None under blind
    review (the reviewer is never told who applied)."""
    if application.cohort.blind_review:
        return None
    partner = application.partner
    agencies = [(a.name, a.get_agency_type_display(), a.is_lead) for a in partner.agencies.all()]
    return Applicant(partner_name=partner.name, agencies=agencies)


def assignment_next_for_reviewer(*, reviewer: User, after: ReviewAssignment | None = None) -> ReviewAssignment | None:
    """The reviewer's next review to do: an active assignment in a cohort being reviewed whose
    review is not submitted (other than ``after``), in the order of their list."""
    qs = assignment_list_for_reviewer(reviewer=reviewer).filter(
        application__cohort__status=Cohort.Status.REVIEWING, application__status__in=REVIEWABLE
    )
    if after is not None:
        qs = qs.exclude(pk=after.pk)
    return next((a for a in qs if not a.submitted), None)


def assignment_is_to_do(assignment: ReviewAssignment) -> bool:
    """For an assignment from :func:`assignment_list_for_reviewer`: its review can still be done."""
    application = assignment.application
    return not assignment.submitted and application.cohort.status == Cohort.Status.REVIEWING and application.status in REVIEWABLE
