"""Writes of review: a cohort's rubric, reviewers' assignments, conflicts of interest, reviews and
their scores. Every write is audited.

The rules:

* only practice admins change the rubric and assign reviewers; the rubric is fixed once any review
  of the cohort has been submitted;
* reviewers are assigned to screened-eligible applications, by hand or automatically
  (``reviewers_per_application`` each, balancing the load, never someone with a declared conflict);
* before opening an application a reviewer declares a conflict of interest or none: a conflict
  ends the assignment and tells the practice admins;
* reviewers score only while the cohort is reviewing; a submitted review is final.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Application, Cohort, Criterion, Review, ReviewAssignment, ScaleLevel, Score
from cohorts.selectors import reviews as review_selectors
from cohorts.services.applications import application_locked
from pine import notifications
from pine.access import require_practice_admin
from pine.audit import audit_record, audited_create, audited_update, snapshot
from pine.models import User

# Stages in which reviewers may be assigned; reviewers score only while the cohort is reviewing.
ASSIGNING_STAGES = frozenset({Cohort.Status.OPEN, Cohort.Status.REVIEWING})

# The standard rubric: a 4-point scale and five criteria, the last recorded but not counted.
STANDARD_SCALE = (
    (1, "Weak", "Little or no evidence; major gaps or concerns that would be hard to address."),
    (2, "Adequate", "Some evidence, with gaps or concerns that would need work before an evaluation could start."),
    (3, "Good", "Clear evidence with minor gaps; ready to evaluate with some support."),
    (4, "Strong", "Compelling, well-evidenced and ready: few or no concerns."),
)
STANDARD_CRITERIA = (
    # (title, description, weight, counted)
    (
        "Promise of the practice",
        "A clear account of what the practice is, who it serves, and early signs that it helps children and families.",
        Decimal(2),
        True,
    ),
    (
        "Measurable outcomes",
        "Outcomes that matter for children, which the partner can measure with the library's measures.",
        Decimal(1),
        True,
    ),
    (
        "Data and readiness",
        "The data exist and can be shared; there is analyst time, staff time and a senior sponsor.",
        Decimal(1),
        True,
    ),
    (
        "Partnership and joint working",
        "The agencies involved are committed and work together on the practice.",
        Decimal(1),
        True,
    ),
    (
        "Fit with the round's theme",
        "How closely the practice fits the cohort's theme. Recorded for the panel, not counted in the total.",
        Decimal(1),
        False,
    ),
)


def _lock_cohort(cohort: Cohort) -> Cohort:
    return Cohort.objects.select_for_update().get(pk=cohort.pk)


def _check_rubric_editable(cohort: Cohort) -> None:
    if review_selectors.rubric_locked(cohort=cohort):
        raise ValidationError(f"Reviews of {cohort.name} have been submitted: its rubric can no longer change.")


def _audit(actor, action, obj, changes=None):
    audit_record(actor=actor, partner=None, action=action, obj=obj, changes=changes or {})


def _stripped(fields: dict) -> dict:
    return {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}


# --- the rubric: criteria ----------------------------------------------------------------------------

CRITERION_FIELDS = ("title", "description", "weight", "counted")


@transaction.atomic
def criterion_create(
    *, actor: User, cohort: Cohort, title: str, description: str = "", weight=Decimal(1), counted: bool = True
) -> Criterion:
    """Add a criterion at the end of the cohort's rubric."""
    require_practice_admin(actor, "change the rubric")
    cohort = _lock_cohort(cohort)
    _check_rubric_editable(cohort)
    last = Criterion.objects.filter(cohort=cohort).aggregate(m=Max("position"))["m"] or 0
    criterion = Criterion(
        cohort=cohort, position=last + 1, title=title.strip(), description=description.strip(), weight=weight, counted=counted
    )
    return audited_create(criterion, actor=actor, partner=None, action="criterion.create")


@transaction.atomic
def criterion_update(*, actor: User, criterion: Criterion, **fields) -> Criterion:
    require_practice_admin(actor, "change the rubric")
    unknown = set(fields) - set(CRITERION_FIELDS)
    if unknown:
        raise ValueError(f"not criterion fields: {sorted(unknown)}")
    _lock_cohort(criterion.cohort)
    _check_rubric_editable(criterion.cohort)
    criterion = Criterion.objects.select_for_update().get(pk=criterion.pk)
    audited_update(criterion, _stripped(fields), actor=actor, partner=None, action="criterion.update")
    return criterion


def _renumber(cohort: Cohort) -> None:
    """Positions 1, 2, 3... in the current order (two passes: positions are unique)."""
    criteria = list(Criterion.objects.filter(cohort=cohort).order_by("position"))
    offset = len(criteria) + 1000
    for i, criterion in enumerate(criteria):
        Criterion.objects.filter(pk=criterion.pk).update(position=offset + i)
    for i, criterion in enumerate(criteria):
        Criterion.objects.filter(pk=criterion.pk).update(position=i + 1)


@transaction.atomic
def criterion_delete(*, actor: User, criterion: Criterion) -> None:
    """Remove a criterion (and its scores in draft reviews); the others close up."""
    require_practice_admin(actor, "change the rubric")
    cohort = _lock_cohort(criterion.cohort)
    _check_rubric_editable(cohort)
    Score.objects.filter(criterion=criterion, review__status=Review.Status.DRAFT).delete()
    _audit(actor, "criterion.delete", criterion, snapshot(criterion))
    criterion.delete()
    _renumber(cohort)


@transaction.atomic
def criterion_move(*, actor: User, criterion: Criterion, direction: str) -> Criterion:
    """Swap a criterion with the one above (``"up"``) or below (``"down"``)."""
    require_practice_admin(actor, "change the rubric")
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Choose up or down."})
    cohort = _lock_cohort(criterion.cohort)
    _check_rubric_editable(cohort)
    criterion = Criterion.objects.get(pk=criterion.pk)
    siblings = Criterion.objects.filter(cohort=cohort)
    neighbour = (
        siblings.filter(position__lt=criterion.position).order_by("-position").first()
        if direction == "up"
        else siblings.filter(position__gt=criterion.position).order_by("position").first()
    )
    if neighbour is None:
        return criterion
    mine, theirs = criterion.position, neighbour.position
    Criterion.objects.filter(pk=criterion.pk).update(position=0)
    Criterion.objects.filter(pk=neighbour.pk).update(position=mine)
    Criterion.objects.filter(pk=criterion.pk).update(position=theirs)
    criterion.position = theirs
    _audit(actor, "criterion.move", criterion, {"position": [mine, theirs]})
    return criterion


# --- the rubric: the scale ---------------------------------------------------------------------------

SCALE_FIELDS = ("score", "label", "descriptor")


def _check_score_free(cohort: Cohort, score: int, excluding: ScaleLevel | None = None) -> None:
    taken = ScaleLevel.objects.filter(cohort=cohort, score=score)
    if excluding is not None:
        taken = taken.exclude(pk=excluding.pk)
    if taken.exists():
        raise ValidationError({"score": f"The scale already has a level for {score}."})


@transaction.atomic
def scale_level_create(*, actor: User, cohort: Cohort, score: int, label: str, descriptor: str) -> ScaleLevel:
    require_practice_admin(actor, "change the rubric")
    cohort = _lock_cohort(cohort)
    _check_rubric_editable(cohort)
    _check_score_free(cohort, score)
    level = ScaleLevel(cohort=cohort, score=score, label=label.strip(), descriptor=descriptor.strip())
    return audited_create(
        level, actor=actor, partner=None, action="scale_level.create", clean_options={"validate_constraints": False}
    )


@transaction.atomic
def scale_level_update(*, actor: User, level: ScaleLevel, **fields) -> ScaleLevel:
    require_practice_admin(actor, "change the rubric")
    unknown = set(fields) - set(SCALE_FIELDS)
    if unknown:
        raise ValueError(f"not scale fields: {sorted(unknown)}")
    cohort = _lock_cohort(level.cohort)
    _check_rubric_editable(cohort)
    level = ScaleLevel.objects.select_for_update().get(pk=level.pk)
    if "score" in fields:
        _check_score_free(cohort, fields["score"], excluding=level)
    audited_update(
        level,
        _stripped(fields),
        actor=actor,
        partner=None,
        action="scale_level.update",
        clean_options={"validate_constraints": False},
    )
    return level


@transaction.atomic
def scale_level_delete(*, actor: User, level: ScaleLevel) -> None:
    """Remove a level of the scale (draft scores at that level are cleared)."""
    require_practice_admin(actor, "change the rubric")
    cohort = _lock_cohort(level.cohort)
    _check_rubric_editable(cohort)
    Score.objects.filter(criterion__cohort=cohort, score=level.score, review__status=Review.Status.DRAFT).delete()
    _audit(actor, "scale_level.delete", level, snapshot(level))
    level.delete()


@transaction.atomic
def rubric_use_standard(*, actor: User, cohort: Cohort) -> list[Criterion]:
    """Replace the cohort's rubric with the standard one (draft reviews lose their scores)."""
    require_practice_admin(actor, "change the rubric")
    cohort = _lock_cohort(cohort)
    _check_rubric_editable(cohort)
    Score.objects.filter(criterion__cohort=cohort).delete()
    Criterion.objects.filter(cohort=cohort).delete()
    ScaleLevel.objects.filter(cohort=cohort).delete()
    for score, label, descriptor in STANDARD_SCALE:
        level = ScaleLevel(cohort=cohort, score=score, label=label, descriptor=descriptor)
        level.full_clean(validate_constraints=False)
        level.save()
    criteria = []
    for position, (title, description, weight, counted) in enumerate(STANDARD_CRITERIA, start=1):
        criterion = Criterion(
            cohort=cohort, position=position, title=title, description=description, weight=weight, counted=counted
        )
        criterion.full_clean(validate_constraints=False)
        criterion.save()
        criteria.append(criterion)
    _audit(actor, "rubric.standard", cohort, {"criteria": len(criteria), "scale": len(STANDARD_SCALE)})
    return criteria


# --- assignments -------------------------------------------------------------------------------------


def _check_assignable(application: Application) -> None:
    cohort = application.cohort
    if cohort.status not in ASSIGNING_STAGES:
        raise ValidationError(f"{cohort.name} is {cohort.get_status_display().lower()}: reviewers can no longer be assigned.")
    if application.status not in review_selectors.REVIEWABLE:
        raise ValidationError(
            f"Only applications screened as eligible are reviewed; this one is {application.get_status_display().lower()}."
        )


def _notify_assigned(assignment: ReviewAssignment) -> None:
    application = assignment.application
    notifications.notify(
        recipients=[assignment.reviewer],
        template="review_assigned",
        context={
            # Never the partner's name: the cohort may review blind, and emails are forwarded.
            "reference": review_selectors.application_reference(application),
            "cohort": application.cohort.name,
            "reviewer": assignment.reviewer,
        },
        link=reverse("cohorts:review_list"),
    )


def _assign(*, actor: User, application: Application, reviewer: User) -> ReviewAssignment:
    assignment = ReviewAssignment(application=application, reviewer=reviewer, assigned_by=actor)
    audited_create(
        assignment,
        actor=actor,
        partner=None,
        action="review_assignment.create",
        changes={"application": str(application.code), "reviewer": reviewer.email},
        clean_options={"validate_constraints": False},
    )
    _notify_assigned(assignment)
    return assignment


@transaction.atomic
def assignment_create(*, actor: User, application: Application, reviewer: User) -> ReviewAssignment:
    """Assign a reviewer (a reviewer or a practice admin) to an eligible application, and tell them."""
    require_practice_admin(actor, "assign reviewers")
    application = application_locked(application)
    _check_assignable(application)
    if not (reviewer.is_active and reviewer.is_staff and reviewer.practice_role in review_selectors.REVIEWER_ROLES):
        raise ValidationError({"reviewer": f"{reviewer} is not a reviewer."})
    existing = ReviewAssignment.objects.filter(application=application, reviewer=reviewer).first()
    if existing is not None:
        if existing.conflict == ReviewAssignment.Conflict.DECLARED:
            raise ValidationError({"reviewer": f"{reviewer} has declared a conflict of interest with this application."})
        raise ValidationError({"reviewer": f"{reviewer} is already reviewing this application."})
    return _assign(actor=actor, application=application, reviewer=reviewer)


@dataclass
class AutoAssignment:
    """What automatic assignment did: the new assignments, and the applications still short of
    reviewers (with how many are missing)."""

    created: list[ReviewAssignment] = field(default_factory=list)
    short: list[tuple[Application, int]] = field(default_factory=list)
    reviewers: int = 0
    per_application: int = 0

    @property
    def explanation(self) -> str:
        """What is missing, true to the numbers: how many applications, how many more reviewers
        each needs (the same for all, or a range) and how many assignments that makes in all."""
        if not self.short:
            return ""
        count, missing = len(self.short), sorted(n for _, n in self.short)
        total = sum(missing)
        if count == 1:
            need = f"1 application still needs {total} more reviewer{'s' if total != 1 else ''}"
        elif missing[0] == missing[-1]:
            need = f"{count} applications still need {missing[0]} more reviewer{'s' if missing[0] != 1 else ''} each"
        else:
            need = f"{count} applications still need {missing[0]} to {missing[-1]} more reviewers each ({total} in all)"
        return (
            f"{need}: each needs {self.per_application} and there {'is' if self.reviewers == 1 else 'are'} "
            f"{self.reviewers} active reviewer{'s' if self.reviewers != 1 else ''} without a conflict. "
            "Add reviewers, assign practice admins by hand, or lower the number of reviewers for each application "
            "in the cohort's review settings."
        )


@transaction.atomic
def assignments_auto(*, actor: User, cohort: Cohort) -> AutoAssignment:
    """Give each screened-eligible application ``reviewers_per_application`` active reviewers,
    keeping the assignments it has, choosing each time the reviewers with the fewest assignments in
    the cohort, and never one who has declared a conflict with it."""
    require_practice_admin(actor, "assign reviewers")
    cohort = _lock_cohort(cohort)
    if cohort.status not in ASSIGNING_STAGES:
        raise ValidationError(f"{cohort.name} is {cohort.get_status_display().lower()}: reviewers can no longer be assigned.")
    reviewers = list(review_selectors.reviewer_list(roles=review_selectors.AUTO_REVIEWER_ROLES))
    per_application = cohort.reviewers_per_application
    result = AutoAssignment(reviewers=len(reviewers), per_application=per_application)
    load = review_selectors.review_load(cohort=cohort)
    applications = list(review_selectors.reviewable_application_list(cohort=cohort).select_for_update(of=("self",)))
    taken: dict[int, set[int]] = {a.pk: set() for a in applications}
    active: dict[int, int] = {a.pk: 0 for a in applications}
    for application_id, reviewer_id, conflict in ReviewAssignment.objects.filter(application__in=applications).values_list(
        "application_id", "reviewer_id", "conflict"
    ):
        taken[application_id].add(reviewer_id)  # any assignment, ended by a conflict or not
        if conflict != ReviewAssignment.Conflict.DECLARED:
            active[application_id] += 1
    for application in applications:
        needed = per_application - active[application.pk]
        if needed <= 0:
            continue
        candidates = [r for r in reviewers if r.pk not in taken[application.pk]]
        candidates.sort(key=lambda r: (load.get(r.pk, 0), r.full_name.lower(), r.pk))
        for reviewer in candidates[:needed]:
            result.created.append(_assign(actor=actor, application=application, reviewer=reviewer))
            load[reviewer.pk] = load.get(reviewer.pk, 0) + 1
        if len(candidates) < needed:
            result.short.append((application, needed - len(candidates)))
    return result


@transaction.atomic
def assignment_remove(*, actor: User, assignment: ReviewAssignment) -> None:
    """Take a reviewer off an application, unless they have submitted their review (a draft goes
    with the assignment). An assignment ended by a conflict stays, as the record."""
    require_practice_admin(actor, "assign reviewers")
    assignment = ReviewAssignment.objects.select_for_update().select_related("application__cohort").get(pk=assignment.pk)
    if assignment.conflict == ReviewAssignment.Conflict.DECLARED:
        raise ValidationError("The reviewer declared a conflict of interest: the assignment is kept as the record.")
    if Review.objects.filter(assignment=assignment, status=Review.Status.SUBMITTED).exists():
        raise ValidationError("The reviewer has submitted their review: the assignment can no longer be removed.")
    audit_record(
        actor=actor,
        partner=None,
        action="review_assignment.remove",
        obj=assignment,
        changes={"application": str(assignment.application.code), "reviewer": assignment.reviewer.email},
    )
    assignment.delete()


# --- conflicts of interest ---------------------------------------------------------------------------


def require_no_conflict(*, actor: User, application: Application) -> None:
    """The gate for a practice admin's pages, API and services about one application: refused,
    saying why, to someone who declared a conflict of interest with it
    (``review_selectors.conflict_refusal``, the rule the review path follows too)."""
    refusal = review_selectors.conflict_refusal(user=actor, application=application)
    if refusal:
        raise PermissionDenied(refusal)


def _lock_own_assignment(actor: User, assignment: ReviewAssignment) -> ReviewAssignment:
    assignment = (
        ReviewAssignment.objects.select_for_update(of=("self",))
        .select_related("application", "application__cohort", "reviewer")
        .get(pk=assignment.pk)
    )
    if assignment.reviewer_id != actor.pk or not assignment.is_active:
        raise PermissionDenied("This is not one of your reviews.")
    return assignment


@transaction.atomic
def conflict_declare(*, actor: User, assignment: ReviewAssignment, conflict: bool, details: str = "") -> ReviewAssignment:
    """The reviewer's declaration. A conflict ends the assignment (the reviewer can no longer reach
    the application) and tells the practice admins; no conflict opens the application."""
    assignment = _lock_own_assignment(actor, assignment)
    details = (details or "").strip()
    if assignment.conflict != ReviewAssignment.Conflict.UNDECLARED:
        if not conflict:
            return assignment  # "none" again: nothing to change
        if Review.objects.filter(assignment=assignment, status=Review.Status.SUBMITTED).exists():
            raise ValidationError("You have submitted your review: contact the practice team about a conflict.")
    if conflict and not details:
        raise ValidationError({"details": "Describe the conflict of interest"})
    before = assignment.conflict
    assignment.conflict = ReviewAssignment.Conflict.DECLARED if conflict else ReviewAssignment.Conflict.NONE
    assignment.conflict_details = details if conflict else ""
    assignment.conflict_declared_at = timezone.now()
    assignment.full_clean(validate_constraints=False)
    assignment.save(update_fields=["conflict", "conflict_details", "conflict_declared_at"])
    audit_record(
        actor=actor,
        partner=None,
        action="review_assignment.conflict",
        obj=assignment,
        changes={"conflict": [before, assignment.conflict]},
    )
    if conflict:
        application = assignment.application
        notifications.notify(
            recipients=notifications.practice_admins(),
            template="review_conflict_declared",
            context={
                "reviewer": actor,
                "details": details,
                "reference": review_selectors.application_reference(application),
                "practice_title": application.practice_title,
                "cohort": application.cohort.name,
            },
            link=reverse("cohorts:practice_assignments", args=[application.cohort.slug]),
        )
    return assignment


# --- reviews -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreInput:
    """One criterion's score (None: not scored yet) and comment, as a reviewer gives it."""

    criterion: Criterion
    score: int | None
    comment: str = ""


def _check_reviewing(assignment: ReviewAssignment) -> None:
    cohort = assignment.application.cohort
    if assignment.conflict != ReviewAssignment.Conflict.NONE:
        raise ValidationError("Declare whether you have a conflict of interest before you review this application.")
    if cohort.status != Cohort.Status.REVIEWING:
        raise ValidationError(
            f"Reviewers score only while {cohort.name} is being reviewed: it is {cohort.get_status_display().lower()}."
        )


@transaction.atomic
def review_save(
    *, actor: User, assignment: ReviewAssignment, scores: list[ScoreInput] = (), comments: str | None = None
) -> Review:
    """Save the reviewer's review as a draft: the scores given (a score of None clears one), their
    comments and the overall comments. Any time while the cohort is reviewing, until submitted."""
    assignment = _lock_own_assignment(actor, assignment)
    _check_reviewing(assignment)
    application = assignment.application
    review, _ = Review.objects.get_or_create(assignment=assignment, defaults={"application": application, "reviewer": actor})
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.status == Review.Status.SUBMITTED:
        raise ValidationError("You have submitted your review: it can no longer change.")
    levels = set(review_selectors.scale_list(cohort=application.cohort).values_list("score", flat=True))
    errors = {}
    for given in scores:
        if given.criterion.cohort_id != application.cohort_id:
            raise ValidationError("That criterion is not in this cohort's rubric.")
        if given.score is not None and given.score not in levels:
            errors[f"criterion_{given.criterion.pk}"] = f"Choose a score on the scale for “{given.criterion.title}”"
        elif given.score is None and given.comment.strip():
            errors[f"criterion_{given.criterion.pk}"] = f"Choose a score for “{given.criterion.title}” to keep your comment on it"
    if errors:
        raise ValidationError(errors)
    for given in scores:
        if given.score is None:  # not scored (yet)
            Score.objects.filter(review=review, criterion=given.criterion).delete()
            continue
        Score.objects.update_or_create(
            review=review, criterion=given.criterion, defaults={"score": given.score, "comment": given.comment.strip()}
        )
    if comments is not None:
        review.comments = comments.strip()
        review.full_clean(validate_constraints=False)
        review.save(update_fields=["comments"])
    audit_record(
        actor=actor,
        partner=None,
        action="review.save",
        obj=review,
        changes={"scores": {str(s.criterion.position): s.score for s in scores}},
    )
    return review


@transaction.atomic
def review_submit(
    *, actor: User, assignment: ReviewAssignment, scores: list[ScoreInput] | None = None, comments: str | None = None
) -> Review:
    """Submit the review (saving ``scores`` and ``comments`` first, when given): every criterion
    must have a score on the scale. Submitted reviews are final."""
    review = review_save(actor=actor, assignment=assignment, scores=scores or [], comments=comments)
    cohort = review.application.cohort
    criteria = list(review_selectors.criterion_list(cohort=cohort))
    if not criteria:
        raise ValidationError(f"{cohort.name} has no rubric yet: ask a practice admin to set it up.")
    levels = set(review_selectors.scale_list(cohort=cohort).values_list("score", flat=True))
    scored = dict(Score.objects.filter(review=review).values_list("criterion_id", "score"))
    missing = {f"criterion_{c.pk}": f"Choose a score for “{c.title}”" for c in criteria if scored.get(c.pk) not in levels}
    if missing:
        raise ValidationError(missing)
    review.status = Review.Status.SUBMITTED
    review.submitted_at = timezone.now()
    review.full_clean()
    review.save(update_fields=["status", "submitted_at"])
    audit_record(actor=actor, partner=None, action="review.submit", obj=review, changes={"status": ["draft", "submitted"]})
    return review
