"""API: outcome data uploads (files and JSON batches), their status and problems, and the practice
team's approval of periods."""

import csv
import io

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from evaluations import selectors as evaluation_selectors
from outcomes import selectors, services
from outcomes.parsing import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from pine.api import PartnerAPIView, PracticeAPIView
from pine.representation import OutputSerializer

MAX_BATCH_ROWS = 10_000
MAX_BATCH_BYTES = 10 * 1024 * 1024


class IdempotencyConflictOut(serializers.Serializer):
    detail = serializers.CharField()


class TooLargeOut(serializers.Serializer):
    detail = serializers.CharField()


def too_large(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


class ProblemOut(OutputSerializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    value = serializers.CharField()
    reason = serializers.CharField()


class SubmissionWarningOut(OutputSerializer):
    kind = serializers.ChoiceField(choices=["unusual_change", "counts_dropped"], default="unusual_change")
    row = serializers.IntegerField()
    measure = serializers.CharField()
    group = serializers.CharField()
    period_start = serializers.DateField()
    value = serializers.CharField()
    previous_period_start = serializers.DateField()
    previous_value = serializers.CharField()
    reason = serializers.CharField()


class SubmissionNumbersOut(OutputSerializer):
    value = serializers.CharField()
    numerator = serializers.CharField()
    denominator = serializers.CharField()


class SubmissionChangeOut(OutputSerializer):
    kind = serializers.ChoiceField(choices=["new", "changed", "unchanged"])
    measure = serializers.CharField()
    group = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    old = SubmissionNumbersOut(allow_null=True)
    new = SubmissionNumbersOut()


class SubmissionOut(OutputSerializer):
    code = serializers.UUIDField()
    evaluation = serializers.UUIDField(source="evaluation.code")
    filename = serializers.CharField()
    dry_run = serializers.BooleanField()
    source = serializers.CharField(
        help_text="upload (an outcome data file or batch), or the statutory return whose measures PINE computed: "
        "cin, ssda903 or annex_a."
    )
    status = serializers.CharField(
        help_text="queued, running, needs_explanation (POST an explanation to store it, or discard it), accepted, "
        "rejected, checked (a dry run: nothing stored; POST to store/ to store it, or discard it), failed, "
        "superseded (a later upload of the same periods was stored first: see superseded_by) or discarded."
    )
    superseded_by = serializers.UUIDField(source="superseded_by.code", allow_null=True, default=None)
    progress = serializers.IntegerField(help_text="Percent done.")
    stage = serializers.CharField()
    row_count = serializers.IntegerField()
    errors = ProblemOut(many=True, help_text="Every problem; any problem means nothing was stored.")
    warnings = SubmissionWarningOut(many=True)
    explanation = serializers.CharField()
    changes = SubmissionChangeOut(many=True, help_text="What storing the rows changed (or, in a dry run, would change).")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


# The columns SubmissionOut reads (its fields' sources), and only those: a list reads no uploader and
# no later upload's changes (bench/web.py: a third of the rows' database and ORM time).
SUBMISSION_OUT_COLUMNS = tuple(field.source.replace(".", "__") for field in SubmissionOut().fields.values())


def submission_out_columns(submissions):
    """The submissions queryset, reading only what :class:`SubmissionOut` shows."""
    return submissions.select_related(None).select_related("evaluation", "superseded_by").only(*SUBMISSION_OUT_COLUMNS)


class SubmissionIn(serializers.Serializer):
    file = serializers.FileField(help_text="A CSV or XLSX file in the outcome data format (see the README).")
    dry_run = serializers.BooleanField(default=False, help_text="Check only: report what would change, store nothing.")


class BatchRowIn(serializers.Serializer):
    child_ref = serializers.CharField(
        max_length=100,
        required=False,
        help_text="For child-level rows: your reference for the child, pseudonymised as it is read (never stored). "
        "Give it in every row of a batch or in none.",
    )
    measure = serializers.CharField(max_length=100)
    period_start = serializers.CharField(max_length=20, help_text="YYYY-MM-DD or DD/MM/YYYY")
    period_end = serializers.CharField(max_length=20)
    group = serializers.CharField(max_length=20)
    value = serializers.CharField(max_length=40, allow_blank=True)
    numerator = serializers.CharField(max_length=20, required=False, allow_blank=True, allow_null=True)
    denominator = serializers.CharField(max_length=20, required=False, allow_blank=True, allow_null=True)


class BatchIn(serializers.Serializer):
    rows = BatchRowIn(
        many=True,
        allow_empty=False,
        max_length=MAX_BATCH_ROWS,
        help_text="The rows, checked as a file's would be. In problems, the first row is row 2 (as in a file with a header).",
    )
    dry_run = serializers.BooleanField(default=False)


class ExplanationIn(serializers.Serializer):
    explanation = serializers.CharField(max_length=5000)


class _EvaluationMixin:
    def _evaluation(self, code):
        evaluation = evaluation_selectors.evaluation_get(partner=self.partner, code=code)
        if evaluation is None:
            raise Http404
        return evaluation


class SubmissionListView(_EvaluationMixin, PartnerAPIView):
    """Uploads to one evaluation. POST a CSV or XLSX file as multipart/form-data field ``file``: it is
    queued for a worker; poll the submission for its progress and result."""

    serializer_class = SubmissionOut
    parser_classes = [MultiPartParser]
    max_upload_bytes = staticmethod(services.upload_max_bytes)  # pine.middleware.UploadLimitMiddleware

    def scoped_queryset(self):
        return selectors.submission_list(partner=self.partner).select_related("evaluation")

    @extend_schema(responses=SubmissionOut(many=True))
    def get(self, request, partner_slug, code):
        # The page is read by the evaluation's code, in the partner's rows: a page with rows shows the
        # evaluation is the partner's, so it is looked up on its own only when the page is empty (a
        # missing evaluation, or another partner's, is the same 404 as ever). One query fewer.
        page = self.paginate_queryset(submission_out_columns(self.get_queryset().filter(evaluation__code=code)))
        if not page:
            self._evaluation(code)
        return self.get_paginated_response(SubmissionOut(page, many=True).data)

    @extend_schema(
        request=SubmissionIn,
        responses={
            201: SubmissionOut,
            413: OpenApiResponse(TooLargeOut, description="The request is larger than the upload limit: it was not read."),
        },
    )
    def post(self, request, partner_slug, code):
        evaluation = self._evaluation(code)
        if getattr(request, "upload_too_large", False):
            return too_large(services.too_large_message())
        data = SubmissionIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        submission = services.submission_queue(
            partner=self.partner,
            actor=request.user,
            evaluation=evaluation,
            filename=upload.name,
            content=upload,  # streamed to storage; a worker reads it
            dry_run=data.validated_data["dry_run"],
        )
        return Response(SubmissionOut(submission).data, status=status.HTTP_201_CREATED)


def rows_as_csv(rows: list[dict]) -> bytes:
    """A batch's rows as the CSV file they stand for, so they pass the very same checks."""
    buffer = io.StringIO()
    columns = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]
    if any("child_ref" in row for row in rows):
        columns = ["child_ref", *columns]
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return buffer.getvalue().encode()


class SubmissionBatchView(_EvaluationMixin, PartnerAPIView):
    """Rows as JSON, for partners' systems. Send an ``Idempotency-Key`` header: a retry with the same
    key and body returns the same submission (200) and never stores the data twice; the same key with
    a different body is refused (409)."""

    serializer_class = SubmissionOut
    parser_classes = [JSONParser]
    max_upload_bytes = staticmethod(lambda: MAX_BATCH_BYTES)  # pine.middleware.UploadLimitMiddleware

    def scoped_queryset(self):
        return selectors.submission_list(partner=self.partner).select_related("evaluation")

    @extend_schema(
        request=BatchIn,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True)],
        responses={
            201: SubmissionOut,
            200: OpenApiResponse(SubmissionOut, description="A retry: the submission the key made first."),
            409: OpenApiResponse(IdempotencyConflictOut, description="The key was used before with a different request."),
            413: OpenApiResponse(TooLargeOut, description="The request is larger than a batch may be: it was not read."),
        },
    )
    def post(self, request, partner_slug, code):
        evaluation = self._evaluation(code)
        if getattr(request, "upload_too_large", False):
            return too_large(f"A batch may be up to {MAX_BATCH_BYTES // (1024 * 1024)} MB. Send the rows in smaller batches.")
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 200:
            raise exceptions.ValidationError({"Idempotency-Key": ["Send an Idempotency-Key header (up to 200 characters)."]})
        data = BatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            submission, created = services.submission_queue_batch(
                partner=self.partner,
                actor=request.user,
                evaluation=evaluation,
                idempotency_key=key,
                content=rows_as_csv(data.validated_data["rows"]),
                dry_run=data.validated_data["dry_run"],
            )
        except services.IdempotencyConflict as conflict:
            return Response({"detail": str(conflict)}, status=status.HTTP_409_CONFLICT)
        submission.refresh_from_db()
        return Response(SubmissionOut(submission).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SubmissionDetailView(PartnerAPIView):
    """A submission's progress and result."""

    serializer_class = SubmissionOut

    def scoped_queryset(self):
        return selectors.submission_list(partner=self.partner).select_related("evaluation")

    def get(self, request, partner_slug, code):
        return Response(SubmissionOut(self.get_object()).data)


class SubmissionExplainView(PartnerAPIView):
    """Explain the warnings of a submission that needs an explanation; it is then stored."""

    serializer_class = SubmissionOut

    def scoped_queryset(self):
        return selectors.submission_list(partner=self.partner).select_related("evaluation")

    @extend_schema(request=ExplanationIn, responses={200: SubmissionOut})
    def post(self, request, partner_slug, code):
        submission = self.get_object()
        data = ExplanationIn(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.submission_explain(
            partner=self.partner, actor=request.user, submission=submission, explanation=data.validated_data["explanation"]
        )
        return Response(SubmissionOut(submission).data)


class SubmissionStoreView(PartnerAPIView):
    """Store a clean dry run (status ``checked``) without uploading it again: it is queued, checked
    again against the data as it now stands, and stored (or waits for an explanation)."""

    serializer_class = SubmissionOut

    def scoped_queryset(self):
        return selectors.submission_list(partner=self.partner).select_related("evaluation")

    @extend_schema(request=None, responses={200: SubmissionOut})
    def post(self, request, partner_slug, code):
        submission = services.submission_store_checked(partner=self.partner, actor=request.user, submission=self.get_object())
        return Response(SubmissionOut(submission).data)


class SubmissionDiscardView(PartnerAPIView):
    """Discard an upload waiting for an explanation, or a dry run: nothing of it is stored."""

    serializer_class = SubmissionOut

    def scoped_queryset(self):
        return selectors.submission_list(partner=self.partner).select_related("evaluation")

    @extend_schema(request=None, responses={200: SubmissionOut})
    def post(self, request, partner_slug, code):
        submission = services.submission_discard(partner=self.partner, actor=request.user, submission=self.get_object())
        return Response(SubmissionOut(submission).data)


class PeriodOut(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    values = serializers.IntegerField()
    approved = serializers.BooleanField()
    approved_by = serializers.CharField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)


class PeriodIn(serializers.Serializer):
    period_start = serializers.DateField()


class UnlockIn(serializers.Serializer):
    period_start = serializers.DateField()
    reason = serializers.CharField(max_length=2000)


def _period_out(period: dict) -> dict:
    approval = period["approval"]
    return {
        **period,
        "approved": approval is not None,
        "approved_by": approval.approved_by.full_name if approval else None,
        "approved_at": approval.approved_at if approval else None,
    }


class _PracticeEvaluationMixin:
    serializer_class = PeriodOut

    def scoped_queryset(self):
        return evaluation_selectors.evaluation_list_for_practice()


class PracticePeriodListView(_PracticeEvaluationMixin, PracticeAPIView):
    """An evaluation's periods of data and their approval. POST a period to approve (and lock) it."""

    pagination_class = None  # one row per period: a few dozen at most

    @extend_schema(responses=PeriodOut(many=True))
    def get(self, request, code):
        evaluation = self.get_object()
        periods = selectors.period_list(partner=evaluation.partner, evaluation=evaluation)
        return Response([PeriodOut(_period_out(p)).data for p in periods])

    @extend_schema(request=PeriodIn, responses={201: PeriodOut})
    def post(self, request, code):
        evaluation = self.get_object()
        data = PeriodIn(data=request.data)
        data.is_valid(raise_exception=True)
        start = data.validated_data["period_start"]
        services.period_approve(actor=request.user, evaluation=evaluation, period_start=start)
        period = next(
            p for p in selectors.period_list(partner=evaluation.partner, evaluation=evaluation) if p["period_start"] == start
        )
        return Response(PeriodOut(_period_out(period)).data, status=status.HTTP_201_CREATED)


class PracticePeriodUnlockView(_PracticeEvaluationMixin, PracticeAPIView):
    """A practice admin unlocks an approved period, giving a reason."""

    @extend_schema(request=UnlockIn, responses={200: None})
    def post(self, request, code):
        evaluation = self.get_object()
        data = UnlockIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.period_unlock(
            actor=request.user,
            evaluation=evaluation,
            period_start=data.validated_data["period_start"],
            reason=data.validated_data["reason"],
        )
        return Response({"detail": "Unlocked."})
