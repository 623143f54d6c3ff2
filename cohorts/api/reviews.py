"""API of review. Practice admins: a cohort's rubric and its assignments. Reviewers: their
assignments, the conflict-of-interest declaration, the application (blinded when the cohort
reviews blind) and their review; the other reviews once their own is submitted.

A reviewer's views take their objects from ``selectors.reviews.assignment_get_for_reviewer`` (via
``scoped_queryset``): another reviewer's assignment and a missing one are the same 404.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from cohorts.models import Cohort, Review, ReviewAssignment
from cohorts.selectors import applications as cohort_selectors
from cohorts.selectors import reviews as selectors
from cohorts.services import reviews as services
from pine.access import ADMINS, REVIEWERS
from pine.api import PracticeAPIView

# --- serializers -------------------------------------------------------------------------------------


class RubricCriterionOut(serializers.Serializer):
    position = serializers.IntegerField(help_text="Its place in the rubric (1, 2, ...): how the API names a criterion.")
    title = serializers.CharField()
    description = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    counted = serializers.BooleanField(help_text="Counts towards the weighted total (otherwise recorded only).")


class RubricScaleLevelOut(serializers.Serializer):
    score = serializers.IntegerField()
    label = serializers.CharField()
    descriptor = serializers.CharField()


class RubricOut(serializers.Serializer):
    cohort = serializers.SlugField()
    locked = serializers.BooleanField(help_text="Reviews have been submitted: the rubric can no longer change.")
    criteria = RubricCriterionOut(many=True)
    scale = RubricScaleLevelOut(many=True)


class CriterionIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0.01"), required=False, default=1)
    counted = serializers.BooleanField(required=False, default=True)


class CriterionPatchIn(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0.01"), required=False)
    counted = serializers.BooleanField(required=False)


class MoveIn(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["up", "down"])


class ScaleLevelIn(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=100)
    label = serializers.CharField(max_length=100)
    descriptor = serializers.CharField()


class ScaleLevelPatchIn(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=100, required=False)
    label = serializers.CharField(max_length=100, required=False)
    descriptor = serializers.CharField(required=False)


class AssignmentOut(serializers.Serializer):
    code = serializers.UUIDField()
    application = serializers.UUIDField(source="application.code")
    practice_title = serializers.CharField(source="application.practice_title")
    reviewer = serializers.EmailField(source="reviewer.email")
    reviewer_name = serializers.CharField(source="reviewer.full_name")
    conflict = serializers.ChoiceField(choices=ReviewAssignment.Conflict.choices)
    conflict_details = serializers.CharField()
    review_status = serializers.SerializerMethodField(help_text="not_started, draft or submitted.")

    def get_review_status(self, assignment) -> str:
        if getattr(assignment, "submitted", 0):
            return "submitted"
        return "draft" if getattr(assignment, "started", 0) else "not_started"


class AssignmentCreateIn(serializers.Serializer):
    application = serializers.UUIDField(help_text="The code of an application of this cohort screened as eligible.")
    reviewer = serializers.EmailField(help_text="A reviewer's (or practice admin's) email address.")


class ShortOut(serializers.Serializer):
    application = serializers.UUIDField()
    missing = serializers.IntegerField()


class AutoOut(serializers.Serializer):
    created = AssignmentOut(many=True)
    short = ShortOut(many=True)
    explanation = serializers.CharField(help_text="Why some applications still lack reviewers; empty when none do.")


class MyAssignmentOut(serializers.Serializer):
    code = serializers.UUIDField()
    reference = serializers.CharField(help_text="A neutral name for the application.")
    label = serializers.CharField(help_text="The reference, or the practice and partner when the review is not blind.")
    cohort = serializers.CharField()
    cohort_status = serializers.ChoiceField(choices=Cohort.Status.choices)
    conflict = serializers.ChoiceField(choices=ReviewAssignment.Conflict.choices)
    review_status = serializers.CharField(help_text="not_started, draft or submitted.")


class SectionOut(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    answers = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


class IdentityOut(serializers.Serializer):
    name = serializers.CharField()
    agencies = serializers.ListField(child=serializers.CharField())
    region = serializers.CharField()
    la_code = serializers.CharField()


class ReviewerApplicationOut(serializers.Serializer):
    code = serializers.UUIDField()
    reference = serializers.CharField()
    cohort = serializers.CharField()
    practice_title = serializers.CharField()
    blind = serializers.BooleanField()
    partner = IdentityOut(required=False, help_text="Left out entirely when the cohort reviews blind.")
    sections = SectionOut(many=True)


class ScoreOut(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion.position")
    score = serializers.IntegerField()
    comment = serializers.CharField()


class ReviewOut(serializers.Serializer):
    code = serializers.UUIDField()
    reviewer_name = serializers.CharField(source="reviewer.full_name")
    status = serializers.ChoiceField(choices=Review.Status.choices)
    comments = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    scores = ScoreOut(many=True)


class ReviewDetailOut(serializers.Serializer):
    code = serializers.UUIDField()
    conflict = serializers.ChoiceField(choices=ReviewAssignment.Conflict.choices)
    can_score = serializers.BooleanField(help_text="The cohort is reviewing and the review is not yet submitted.")
    application = ReviewerApplicationOut()
    criteria = RubricCriterionOut(many=True)
    scale = RubricScaleLevelOut(many=True)
    review = ReviewOut(allow_null=True)
    other_reviews = ReviewOut(many=True, help_text="Other reviewers' submitted reviews: empty until yours is submitted.")


class ConflictIn(serializers.Serializer):
    conflict = serializers.BooleanField(help_text="true: you have a conflict of interest (the assignment ends).")
    details = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required with a conflict.")


class ConflictOut(serializers.Serializer):
    code = serializers.UUIDField()
    conflict = serializers.ChoiceField(choices=ReviewAssignment.Conflict.choices)


class ScoreIn(serializers.Serializer):
    criterion = serializers.IntegerField(help_text="The criterion's position in the rubric.")
    score = serializers.IntegerField(allow_null=True, help_text="A score on the scale; null clears it.")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewIn(serializers.Serializer):
    scores = ScoreIn(many=True, required=False, default=list)
    comments = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)


# --- helpers -------------------------------------------------------------------------------------------


def _rubric_data(cohort: Cohort) -> dict:
    return {
        "cohort": cohort.slug,
        "locked": selectors.rubric_locked(cohort=cohort),
        "criteria": list(selectors.criterion_list(cohort=cohort)),
        "scale": list(selectors.scale_list(cohort=cohort)),
    }


def _application_data(application) -> dict:
    """The application as its reviewer may see it: ``partner`` only when the review is not blind."""
    view = selectors.application_for_reviewer(application)
    data = {
        "code": view.code,
        "reference": view.reference,
        "cohort": view.cohort_name,
        "practice_title": view.practice_title,
        "blind": view.blind,
        "sections": [
            {"slug": s.slug, "title": s.title, "answers": [{"label": label, "value": value} for label, value in s.rows]}
            for s in view.sections
        ],
    }
    if not view.blind:
        data["partner"] = {"name": view.partner_name, "agencies": view.agencies, "region": view.region, "la_code": view.la_code}
    return data


def _api_errors(error: DjangoValidationError) -> DjangoValidationError:
    """A service's errors about a criterion's score (``criterion_<id>``, the form's names) as the
    API's ``scores`` field."""
    if not hasattr(error, "error_dict"):
        return error
    errors: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        errors.setdefault("scores" if name.startswith("criterion_") else name, []).extend(messages)
    return DjangoValidationError(errors)


def _score_inputs(cohort: Cohort, scores: list[dict]) -> list[services.ScoreInput]:
    criteria = {c.position: c for c in selectors.criterion_list(cohort=cohort)}
    unknown = sorted({s["criterion"] for s in scores} - set(criteria))
    if unknown:
        raise serializers.ValidationError({"scores": f"No criterion at position {', '.join(map(str, unknown))} in the rubric."})
    return [
        services.ScoreInput(criterion=criteria[s["criterion"]], score=s["score"], comment=s.get("comment", "")) for s in scores
    ]


# --- the rubric (practice admins) ------------------------------------------------------------------


class CohortAPIView(PracticeAPIView):
    practice_roles = ADMINS
    lookup_field = "slug"
    lookup_url_kwarg = "slug"
    serializer_class = RubricOut

    def scoped_queryset(self):
        return cohort_selectors.cohort_list()


class RubricView(CohortAPIView):
    @extend_schema(responses=RubricOut)
    def get(self, request, slug):
        return Response(RubricOut(_rubric_data(self.get_object())).data)


class RubricStandardView(CohortAPIView):
    @extend_schema(request=None, responses=RubricOut)
    def post(self, request, slug):
        """Replace the rubric with the standard one (refused once reviews are submitted)."""
        cohort = self.get_object()
        services.rubric_use_standard(actor=request.user, cohort=cohort)
        return Response(RubricOut(_rubric_data(cohort)).data)


class CriterionCreateView(CohortAPIView):
    serializer_class = CriterionIn

    @extend_schema(request=CriterionIn, responses={201: RubricCriterionOut})
    def post(self, request, slug):
        cohort = self.get_object()
        data = CriterionIn(data=request.data)
        data.is_valid(raise_exception=True)
        criterion = services.criterion_create(actor=request.user, cohort=cohort, **data.validated_data)
        return Response(RubricCriterionOut(criterion).data, status=status.HTTP_201_CREATED)


class CriterionDetailView(CohortAPIView):
    serializer_class = RubricCriterionOut

    def _criterion(self):
        criterion = selectors.criterion_get(cohort=self.get_object(), position=self.kwargs["position"])
        if criterion is None:
            raise Http404
        return criterion

    @extend_schema(request=CriterionPatchIn, responses=RubricCriterionOut)
    def patch(self, request, slug, position):
        criterion = self._criterion()
        data = CriterionPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        criterion = services.criterion_update(actor=request.user, criterion=criterion, **data.validated_data)
        return Response(RubricCriterionOut(criterion).data)

    @extend_schema(request=MoveIn, responses=RubricCriterionOut, operation_id="v1_practice_cohorts_rubric_criteria_move")
    def post(self, request, slug, position):
        """Move the criterion up or down the rubric."""
        criterion = self._criterion()
        data = MoveIn(data=request.data)
        data.is_valid(raise_exception=True)
        criterion = services.criterion_move(actor=request.user, criterion=criterion, direction=data.validated_data["direction"])
        return Response(RubricCriterionOut(criterion).data)

    @extend_schema(responses={204: None})
    def delete(self, request, slug, position):
        services.criterion_delete(actor=request.user, criterion=self._criterion())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScaleLevelCreateView(CohortAPIView):
    serializer_class = ScaleLevelIn

    @extend_schema(request=ScaleLevelIn, responses={201: RubricScaleLevelOut})
    def post(self, request, slug):
        cohort = self.get_object()
        data = ScaleLevelIn(data=request.data)
        data.is_valid(raise_exception=True)
        level = services.scale_level_create(actor=request.user, cohort=cohort, **data.validated_data)
        return Response(RubricScaleLevelOut(level).data, status=status.HTTP_201_CREATED)


class ScaleLevelDetailView(CohortAPIView):
    serializer_class = RubricScaleLevelOut

    def _level(self):
        level = selectors.scale_level_get(cohort=self.get_object(), score=self.kwargs["score"])
        if level is None:
            raise Http404
        return level

    @extend_schema(request=ScaleLevelPatchIn, responses=RubricScaleLevelOut)
    def patch(self, request, slug, score):
        level = self._level()
        data = ScaleLevelPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        level = services.scale_level_update(actor=request.user, level=level, **data.validated_data)
        return Response(RubricScaleLevelOut(level).data)

    @extend_schema(responses={204: None})
    def delete(self, request, slug, score):
        services.scale_level_delete(actor=request.user, level=self._level())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- assignments (practice admins) -----------------------------------------------------------------


class AssignmentListView(CohortAPIView):
    serializer_class = AssignmentOut

    @extend_schema(responses=AssignmentOut(many=True))
    def get(self, request, slug):
        """Every assignment in the cohort, those ended by a declared conflict too."""
        return self.paginated(selectors.assignment_list_for_cohort(cohort=self.get_object()), AssignmentOut)

    @extend_schema(request=AssignmentCreateIn, responses={201: AssignmentOut})
    def post(self, request, slug):
        """Assign a reviewer to an eligible application of the cohort; the reviewer is told."""
        cohort = self.get_object()
        data = AssignmentCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        application = selectors.reviewable_application_get(cohort=cohort, code=data.validated_data["application"])
        if application is None:
            raise serializers.ValidationError({"application": "No eligible application of this cohort has that code."})
        reviewer = selectors.reviewer_get(email=data.validated_data["reviewer"])
        if reviewer is None:
            raise serializers.ValidationError({"reviewer": "No reviewer in the practice team has that email address."})
        assignment = services.assignment_create(actor=request.user, application=application, reviewer=reviewer)
        return Response(AssignmentOut(assignment).data, status=status.HTTP_201_CREATED)


class AssignmentAutoView(CohortAPIView):
    serializer_class = AutoOut

    @extend_schema(request=None, responses=AutoOut)
    def post(self, request, slug):
        """Give each eligible application the cohort's number of reviewers, balancing the load."""
        result = services.assignments_auto(actor=request.user, cohort=self.get_object())
        return Response(
            AutoOut(
                {
                    "created": result.created,
                    "short": [{"application": a.code, "missing": n} for a, n in result.short],
                    "explanation": result.explanation,
                }
            ).data
        )


# --- reviewers -----------------------------------------------------------------------------------


class ReviewerAPIView(PracticeAPIView):
    """The signed-in reviewer's own active assignments: anything else is 404."""

    practice_roles = REVIEWERS
    serializer_class = MyAssignmentOut

    def scoped_queryset(self):
        return selectors.assignment_list_for_reviewer(reviewer=self.request.user)


def _my_assignment(assignment) -> dict:
    cohort = assignment.application.cohort
    review_status = "submitted" if assignment.submitted else ("draft" if assignment.started else "not_started")
    return {
        "code": assignment.code,
        "reference": selectors.application_reference(assignment.application),
        "label": selectors.assignment_label(assignment),
        "cohort": cohort.name,
        "cohort_status": cohort.status,
        "conflict": assignment.conflict,
        "review_status": review_status,
    }


class ReviewListView(ReviewerAPIView):
    @extend_schema(responses=MyAssignmentOut(many=True))
    def get(self, request):
        """Your reviews: the applications you are assigned (until you declare a conflict)."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MyAssignmentOut([_my_assignment(a) for a in page], many=True).data)


class ReviewDetailView(ReviewerAPIView):
    serializer_class = ReviewDetailOut

    @extend_schema(responses=ReviewDetailOut)
    def get(self, request, code):
        """The application (blinded when the cohort reviews blind), the rubric, your review and, once
        yours is submitted, the others'. Declare a conflict of interest (or none) first."""
        assignment = self.get_object()
        if assignment.conflict != ReviewAssignment.Conflict.NONE:
            raise PermissionDenied("Declare whether you have a conflict of interest first (POST …/conflict/).")
        return Response(ReviewDetailOut(_detail(assignment)).data)


def _detail(assignment) -> dict:
    cohort = assignment.application.cohort
    review = selectors.review_get_for_reviewer(assignment=assignment)
    submitted = review is not None and review.status == Review.Status.SUBMITTED
    return {
        "code": assignment.code,
        "conflict": assignment.conflict,
        "can_score": cohort.status == Cohort.Status.REVIEWING and not submitted,
        "application": _application_data(assignment.application),
        "criteria": list(selectors.criterion_list(cohort=cohort)),
        "scale": list(selectors.scale_list(cohort=cohort)),
        "review": review,
        "other_reviews": selectors.other_reviews_for_reviewer(assignment=assignment),
    }


class ConflictView(ReviewerAPIView):
    serializer_class = ConflictIn

    @extend_schema(request=ConflictIn, responses=ConflictOut)
    def post(self, request, code):
        """Declare a conflict of interest (the assignment ends and the practice admins are told) or none."""
        assignment = self.get_object()
        data = ConflictIn(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.conflict_declare(actor=request.user, assignment=assignment, **data.validated_data)
        return Response(ConflictOut(assignment).data)


class ReviewSaveView(ReviewerAPIView):
    serializer_class = ReviewIn

    @extend_schema(request=ReviewIn, responses=ReviewDetailOut)
    def put(self, request, code):
        """Save your review as a draft: the scores given, and the overall comments."""
        assignment = self.get_object()
        data = ReviewIn(data=request.data)
        data.is_valid(raise_exception=True)
        scores = _score_inputs(assignment.application.cohort, data.validated_data["scores"])
        try:
            services.review_save(
                actor=request.user, assignment=assignment, scores=scores, comments=data.validated_data["comments"]
            )
        except DjangoValidationError as error:
            raise _api_errors(error) from None
        return Response(ReviewDetailOut(_detail(self.get_object())).data)


class ReviewSubmitView(ReviewerAPIView):
    serializer_class = ReviewIn

    @extend_schema(request=ReviewIn, responses=ReviewDetailOut)
    def post(self, request, code):
        """Submit your review (saving any scores and comments sent first): every criterion needs a score."""
        assignment = self.get_object()
        data = ReviewIn(data=request.data)
        data.is_valid(raise_exception=True)
        scores = _score_inputs(assignment.application.cohort, data.validated_data["scores"])
        try:
            with transaction.atomic():
                services.review_submit(
                    actor=request.user, assignment=assignment, scores=scores, comments=data.validated_data["comments"]
                )
        except DjangoValidationError as error:
            raise _api_errors(error) from None
        return Response(ReviewDetailOut(_detail(self.get_object())).data)
