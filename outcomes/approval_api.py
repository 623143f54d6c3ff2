"""API of approval against the data: each period's values, changes, explanations and queries;
approve several periods in one POST; send a period back with a query; the partner's answer."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from evaluations import selectors as evaluation_selectors
from outcomes import approval_selectors, approval_services
from outcomes.api import PeriodOut, _period_out
from outcomes.approval_services import MAX_PERIODS_AT_ONCE, QUESTION_MAX
from outcomes.selectors import period_list
from pine.api import PartnerAPIView, PracticeAPIView


class PeriodQueryOut(serializers.Serializer):
    code = serializers.UUIDField()
    evaluation = serializers.UUIDField(source="evaluation.code")
    period_start = serializers.DateField()
    question = serializers.CharField()
    asked_by = serializers.CharField(source="asked_by.full_name")
    asked_at = serializers.DateTimeField()
    is_open = serializers.BooleanField(help_text="True until the partner answers (in words, or by uploading the period again).")
    answer = serializers.CharField(help_text="Empty when the partner answered by uploading the period again.")
    answer_submission = serializers.UUIDField(
        source="answer_submission.code", allow_null=True, default=None, help_text="The upload that answered it, if any."
    )
    answered_by = serializers.CharField(source="answered_by.full_name", allow_null=True, default=None)
    answered_at = serializers.DateTimeField(allow_null=True)


class NumbersOut(serializers.Serializer):
    value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)


class PeriodValueOut(NumbersOut):
    measure = serializers.CharField(source="measure_code")
    measure_name = serializers.CharField()
    unit = serializers.CharField()
    group = serializers.CharField()


class PeriodChangeOut(serializers.Serializer):
    measure_name = serializers.CharField()
    group = serializers.CharField()
    old = NumbersOut()
    new = NumbersOut()
    changed_by_submission = serializers.UUIDField(source="new.submission.code")


class PeriodExplanationOut(serializers.Serializer):
    submission = serializers.UUIDField(source="submission.code")
    explanation = serializers.CharField(source="submission.explanation")
    warnings = serializers.ListField(child=serializers.CharField(), help_text="The warnings it explains.")

    def to_representation(self, instance):
        return {
            "submission": str(instance.submission.code),
            "explanation": instance.submission.explanation,
            "warnings": [w.get("reason", "") for w in instance.warnings],
        }


class PeriodReviewOut(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    status = serializers.ChoiceField(
        choices=["unapproved", "queried", "answered", "approved"],
        help_text="queried: a query waits for the partner's answer, and the period cannot be approved until it is answered.",
    )
    can_be_approved = serializers.BooleanField()
    values = PeriodValueOut(many=True)
    changes = PeriodChangeOut(many=True, help_text="Values replaced by later uploads: old and new.")
    explanations = PeriodExplanationOut(many=True, help_text="What the partner said about the warnings on this period.")
    queries = PeriodQueryOut(many=True, help_text="Queries sent back to the partner and their answers, oldest first.")


class ApprovePeriodsIn(serializers.Serializer):
    period_starts = serializers.ListField(
        child=serializers.DateField(),
        allow_empty=False,
        max_length=MAX_PERIODS_AT_ONCE,
        help_text="The periods to approve, all or none: if any cannot be (no data, an open query), none is approved.",
    )


class PeriodQueryIn(serializers.Serializer):
    period_start = serializers.DateField()
    question = serializers.CharField(max_length=QUESTION_MAX)


class PeriodQueryAnswerIn(serializers.Serializer):
    answer = serializers.CharField(max_length=QUESTION_MAX)


class _PracticeEvaluation:
    def scoped_queryset(self):
        return evaluation_selectors.evaluation_list_for_practice()


class PracticePeriodReviewView(_PracticeEvaluation, PracticeAPIView):
    """Each period of an evaluation's data with what it takes to approve it against the data."""

    serializer_class = PeriodReviewOut
    pagination_class = None  # one row per period: a few dozen at most

    @extend_schema(responses=PeriodReviewOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        reviews = approval_selectors.period_review_list(partner=evaluation.partner, evaluation=evaluation)
        return Response(PeriodReviewOut(reviews, many=True).data)


class PracticePeriodsApproveView(_PracticeEvaluation, PracticeAPIView):
    """Approve (and lock) several periods in one action: all of them, or none."""

    serializer_class = PeriodOut

    @extend_schema(request=ApprovePeriodsIn, responses={200: PeriodOut(many=True)})
    def post(self, request, code):
        evaluation = self.get_object()
        data = ApprovePeriodsIn(data=request.data)
        data.is_valid(raise_exception=True)
        starts = set(data.validated_data["period_starts"])
        approval_services.periods_approve(actor=request.user, evaluation=evaluation, period_starts=sorted(starts))
        periods = [p for p in period_list(partner=evaluation.partner, evaluation=evaluation) if p["period_start"] in starts]
        return Response([PeriodOut(_period_out(p)).data for p in periods])


class PracticePeriodQueryListView(_PracticeEvaluation, PracticeAPIView):
    """The queries on an evaluation's periods. POST one to send a period back to the partner: its
    leads and contributors are notified."""

    serializer_class = PeriodQueryOut
    pagination_class = None

    @extend_schema(responses=PeriodQueryOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        queries = approval_selectors.period_query_list(partner=evaluation.partner, evaluation=evaluation)
        return Response(PeriodQueryOut(queries, many=True).data)

    @extend_schema(request=PeriodQueryIn, responses={201: PeriodQueryOut})
    def post(self, request, code):
        evaluation = self.get_object()
        data = PeriodQueryIn(data=request.data)
        data.is_valid(raise_exception=True)
        query = approval_services.period_query_send(actor=request.user, evaluation=evaluation, **data.validated_data)
        return Response(PeriodQueryOut(query).data, status=status.HTTP_201_CREATED)


class PeriodQueryListView(PartnerAPIView):
    """The practice team's queries on one of your evaluations' data, newest first."""

    serializer_class = PeriodQueryOut

    def scoped_queryset(self):
        return approval_selectors.period_query_list(partner=self.partner)

    @extend_schema(responses=PeriodQueryOut(many=True))
    def get(self, request, partner_slug, code):
        evaluation = evaluation_selectors.evaluation_get(partner=self.partner, code=code)
        if evaluation is None:
            raise Http404
        return self.paginated(self.get_queryset().filter(evaluation=evaluation).order_by("-asked_at"), PeriodQueryOut)


class PeriodQueryAnswerView(PartnerAPIView):
    """Answer a query in words (or answer it by uploading the period's data again)."""

    serializer_class = PeriodQueryOut

    def scoped_queryset(self):
        return approval_selectors.period_query_list(partner=self.partner)

    @extend_schema(request=PeriodQueryAnswerIn, responses={200: PeriodQueryOut})
    def post(self, request, partner_slug, code):
        query = self.get_object()
        data = PeriodQueryAnswerIn(data=request.data)
        data.is_valid(raise_exception=True)
        query = approval_services.period_query_answer(
            partner=self.partner, actor=request.user, query=query, answer=data.validated_data["answer"]
        )
        return Response(PeriodQueryOut(query).data)
