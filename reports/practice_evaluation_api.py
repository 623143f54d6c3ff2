"""API: the practice team's read-only views of one partner's evaluation (the data of the pages in
``reports.practice_evaluation``), under ``/api/v1/practice/evaluations/<code>/``. For practice
admins and analysts only."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from evaluations import selectors as evaluation_selectors
from evaluations.api import MeetingOut, MilestoneOut, OnboardingOut, PlanOut, TheoryOut
from outcomes import selectors as outcome_selectors
from outcomes.api import SubmissionOut
from pine.api import PracticeAPIView
from reports import selectors
from reports.api import ReportOut


class ValueOut(serializers.Serializer):
    measure = serializers.CharField(source="measure.code")
    group = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True, help_text="Null: not estimable.")
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    approved = serializers.BooleanField(help_text="The practice team has approved the value's period.")
    submission = serializers.UUIDField(source="submission.code", help_text="The upload that brought it.")


class ValueNumbersOut(serializers.Serializer):
    value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    submission = serializers.UUIDField(source="submission.code")


class ValueChangeOut(serializers.Serializer):
    measure = serializers.CharField(source="measure.code")
    group = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    old = ValueNumbersOut(source="*", help_text="The value a later upload replaced, and the upload that brought it.")
    new = ValueNumbersOut(source="superseded_by", allow_null=True, help_text="The value that replaced it, and its upload.")


class PlanComparisonRowOut(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()
    changed = serializers.BooleanField()


class PlanComparisonOut(serializers.Serializer):
    older = serializers.IntegerField(help_text="The older version's number.")
    newer = serializers.IntegerField()
    change_reason = serializers.CharField(help_text="Why the newer version was made.")
    rows = PlanComparisonRowOut(many=True)


class _EvaluationAPIView(PracticeAPIView):
    """Resolves the evaluation in the URL (any partner's, as the practice team sees them)."""

    def scoped_queryset(self):
        return evaluation_selectors.evaluation_list_for_practice()


class ValueListView(_EvaluationAPIView):
    """The evaluation's current outcome values (the stored aggregates), by measure, group and period."""

    serializer_class = ValueOut

    @extend_schema(responses=ValueOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        approved = outcome_selectors.approved_periods(partner=evaluation.partner, evaluation=evaluation)
        page = self.paginate_queryset(outcome_selectors.outcome_value_list(partner=evaluation.partner, evaluation=evaluation))
        for value in page:
            value.approved = value.period_start in approved
        return self.get_paginated_response(ValueOut(page, many=True).data)


class SubmissionListView(_EvaluationAPIView):
    """The evaluation's uploads, newest first, with their problems, warnings, explanation and changes."""

    serializer_class = SubmissionOut

    @extend_schema(responses=SubmissionOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        uploads = outcome_selectors.submission_list(partner=evaluation.partner, evaluation=evaluation).select_related(
            "evaluation"
        )
        return self.paginated(uploads, SubmissionOut)


class ValueHistoryView(_EvaluationAPIView):
    """Every value a later upload replaced: old -> new, with the upload of each."""

    serializer_class = ValueChangeOut

    @extend_schema(responses=ValueChangeOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        return self.paginated(
            outcome_selectors.outcome_value_history(partner=evaluation.partner, evaluation=evaluation), ValueChangeOut
        )


class TheoryVersionListView(_EvaluationAPIView):
    """Every version of the theory of change, newest first."""

    serializer_class = TheoryOut

    @extend_schema(responses=TheoryOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        return self.paginated(evaluation_selectors.theory_versions(partner=evaluation.partner, evaluation=evaluation), TheoryOut)


def _plan_out(plan) -> dict:
    data = {name: getattr(plan, name) for name in PlanOut().fields if hasattr(plan, name)}
    data["missing_for_sign_off"] = plan.missing_for_sign_off() if plan.status == plan.Status.DRAFT else []
    return PlanOut(data).data


class PlanVersionListView(_EvaluationAPIView):
    """Every version of the plan, newest first."""

    serializer_class = PlanOut

    @extend_schema(responses=PlanOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        page = self.paginate_queryset(evaluation_selectors.plan_versions(partner=evaluation.partner, evaluation=evaluation))
        return self.get_paginated_response([_plan_out(plan) for plan in page])


class PlanComparisonView(_EvaluationAPIView):
    """Two versions of the plan compared field by field (by default the two newest)."""

    serializer_class = PlanComparisonOut

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", int, OpenApiParameter.QUERY, description="The older version (default: the one before the newest)."
            ),
            OpenApiParameter("to", int, OpenApiParameter.QUERY, description="The newer version (default: the newest)."),
        ],
        responses=PlanComparisonOut,
    )
    def get(self, request, code):
        evaluation = self.get_object()
        versions = list(evaluation_selectors.plan_versions(partner=evaluation.partner, evaluation=evaluation))
        if len(versions) < 2:
            raise NotFound("This plan has only one version.")
        by_number = {plan.version: plan for plan in versions}
        older = by_number.get(_number(request.query_params.get("from"), versions[1].version))
        newer = by_number.get(_number(request.query_params.get("to"), versions[0].version))
        if older is None or newer is None:
            raise NotFound("No such version.")
        rows = evaluation_selectors.plan_comparison(older, newer)
        data = {"older": older.version, "newer": newer.version, "change_reason": newer.change_reason, "rows": rows}
        return Response(PlanComparisonOut(data).data)


def _number(value: str | None, default: int) -> int | None:
    """A version number from the query string (None, which finds no version, if it is not one)."""
    if value is None or value == "":
        return default
    return int(value) if value.isdigit() and len(value) <= 4 else None


class OnboardingView(_EvaluationAPIView):
    """The onboarding checklist, its dates and the data sharing agreement's file name."""

    serializer_class = OnboardingOut

    @extend_schema(responses=OnboardingOut)
    def get(self, request, code):
        evaluation = self.get_object()
        partner = evaluation.partner
        onboarding = evaluation_selectors.onboarding_get(partner=partner, evaluation=evaluation)
        data = {name: getattr(onboarding, name) for name in OnboardingOut().fields if hasattr(onboarding, name)}
        data["checklist"] = dict(onboarding.checklist(timezone.localdate()))
        data["upload_blocker"] = evaluation_selectors.evaluation_upload_blocker(partner=partner, evaluation=evaluation)
        return Response(OnboardingOut(data).data)


class MilestoneListView(_EvaluationAPIView):
    serializer_class = MilestoneOut

    @extend_schema(responses=MilestoneOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        return self.paginated(
            evaluation_selectors.milestone_list(partner=evaluation.partner, evaluation=evaluation), MilestoneOut
        )


class MeetingListView(_EvaluationAPIView):
    serializer_class = MeetingOut

    @extend_schema(responses=MeetingOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        return self.paginated(evaluation_selectors.meeting_list(partner=evaluation.partner, evaluation=evaluation), MeetingOut)


class ReportListView(_EvaluationAPIView):
    """The evaluation's reports, newest first (their files: the practice pages' download links)."""

    serializer_class = ReportOut

    @extend_schema(responses=ReportOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        return self.paginated(selectors.report_list(partner=evaluation.partner, evaluation=evaluation), ReportOut)
