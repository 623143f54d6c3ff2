"""API: statutory-return imports. POST the files as multipart/form-data; poll the import; its
measures then sit in an ordinary outcome submission (``outcomes`` API)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from evaluations import selectors as evaluation_selectors
from outcomes import services as outcome_services
from outcomes.api import TooLargeOut, too_large
from pine.api import PartnerAPIView
from returns import selectors, services
from returns.models import ReturnImport


class ReturnProblemOut(serializers.Serializer):
    severity = serializers.ChoiceField(choices=["error", "warning"])
    where = serializers.CharField(help_text="The element path (a CIN census) or the file and row; never a value.")
    field = serializers.CharField()
    message = serializers.CharField()


class MeasureRowOut(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    group = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="null: not estimable (no denominator, no population).")
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)


class ReturnImportOut(serializers.Serializer):
    code = serializers.UUIDField()
    evaluation = serializers.UUIDField(source="evaluation.code")
    kind = serializers.CharField(help_text="cin, ssda903 or annex_a (empty until recognised)")
    status = serializers.CharField(
        help_text="queued, running, done (the measures went to `submission`), refused (nothing stored: see problems) or failed."
    )
    progress = serializers.IntegerField()
    stage = serializers.CharField()
    dry_run = serializers.BooleanField()
    children = serializers.IntegerField(source="summary.children", default=0)
    records = serializers.IntegerField(source="summary.records", default=0)
    problems = ReturnProblemOut(many=True)
    measures = serializers.SerializerMethodField(help_text="Each measure code's rows: the partner's own figures, unsuppressed.")
    submission = serializers.UUIDField(source="submission.code", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.DictField(child=MeasureRowOut(many=True)))
    def get_measures(self, row) -> dict:
        return services.ordered_measures(row.kind, row.summary.get("measures", {}))


class ReturnImportIn(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), min_length=1, max_length=services.MAX_FILES)
    kind = serializers.ChoiceField(choices=["", *ReturnImport.Kind.values], required=False, default="")
    dry_run = serializers.BooleanField(default=False)
    frequency = serializers.ChoiceField(choices=ReturnImport.Frequency.values, required=False, default="")
    period_from = serializers.DateField(required=False, allow_null=True, default=None)
    period_to = serializers.DateField(required=False, allow_null=True, default=None)
    groups = serializers.ChoiceField(choices=ReturnImport.Groups.values, default=ReturnImport.Groups.ALL)
    intervention = serializers.FileField(required=False, allow_null=True, default=None)
    comparison = serializers.FileField(required=False, allow_null=True, default=None)


class ReturnImportListView(PartnerAPIView):
    """Imports of statutory returns into one evaluation. POST multipart/form-data: ``files`` (one or
    more), and optionally ``kind``, ``dry_run``, ``frequency``, ``period_from``, ``period_to``,
    ``groups`` (all, lists, rule) with ``intervention`` / ``comparison`` lists of children."""

    serializer_class = ReturnImportOut
    parser_classes = [MultiPartParser]
    max_upload_bytes = staticmethod(outcome_services.upload_max_bytes)

    def scoped_queryset(self):
        return selectors.return_import_list(partner=self.partner)

    def _evaluation(self, code):
        evaluation = evaluation_selectors.evaluation_get(partner=self.partner, code=code)
        if evaluation is None:
            raise Http404
        return evaluation

    @extend_schema(responses=ReturnImportOut(many=True))
    def get(self, request, partner_slug, code):
        return self.paginated(self.get_queryset().filter(evaluation=self._evaluation(code)), ReturnImportOut)

    @extend_schema(
        request={"multipart/form-data": ReturnImportIn},
        responses={
            201: ReturnImportOut,
            413: OpenApiResponse(TooLargeOut, description="The request is larger than the upload limit: it was not read."),
        },
    )
    def post(self, request, partner_slug, code):
        evaluation = self._evaluation(code)
        if getattr(request, "upload_too_large", False):
            return too_large(outcome_services.too_large_message())
        data = ReturnImportIn(data={**request.data.dict(), "files": request.data.getlist("files")})
        data.is_valid(raise_exception=True)
        given = data.validated_data
        row = services.return_import_queue(
            partner=self.partner,
            actor=request.user,
            evaluation=evaluation,
            files=[(upload.name, upload) for upload in given["files"]],
            kind=given["kind"],
            dry_run=given["dry_run"],
            frequency=given["frequency"],
            period_from=given["period_from"],
            period_to=given["period_to"],
            groups=given["groups"],
            intervention=given["intervention"].read() if given["intervention"] else None,
            comparison=given["comparison"].read() if given["comparison"] else None,
        )
        row.refresh_from_db()
        return Response(ReturnImportOut(row).data, status=status.HTTP_201_CREATED)


class ReturnImportDetailView(PartnerAPIView):
    serializer_class = ReturnImportOut

    def scoped_queryset(self):
        return selectors.return_import_list(partner=self.partner)

    @extend_schema(responses=ReturnImportOut)
    def get(self, request, partner_slug, code):
        return Response(ReturnImportOut(self.get_object()).data)
