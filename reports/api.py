"""API: an evaluation's reports (request one, follow its build, download its files)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from evaluations import selectors as evaluation_selectors
from pine.api import PartnerAPIView
from reports import selectors, services
from reports.models import Report
from reports.views import REPORT_CONTENT_TYPES, report_file_response


class ReportOut(serializers.Serializer):
    code = serializers.UUIDField()
    evaluation = serializers.UUIDField(source="evaluation.code")
    version = serializers.IntegerField(allow_null=True)
    plan_version = serializers.IntegerField(source="plan.version", allow_null=True, default=None)
    draft = serializers.BooleanField(help_text="Built from a plan that is not signed off.")
    data_checksum = serializers.CharField(help_text="SHA-256 of the data the version used.")
    code_version = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField(help_text="Percent done, 0 to 100.")
    stage = serializers.CharField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class ReportListView(PartnerAPIView):
    """An evaluation's reports; POST queues a new one (poll its status until it is done)."""

    serializer_class = ReportOut

    def scoped_queryset(self):
        return evaluation_selectors.evaluation_list(partner=self.partner)

    @extend_schema(responses=ReportOut(many=True))
    def get(self, request, partner_slug, code):
        evaluation = self.get_object()
        return self.paginated(selectors.report_list(partner=self.partner, evaluation=evaluation), ReportOut)

    @extend_schema(request=None, responses={202: ReportOut})
    def post(self, request, partner_slug, code):
        report = services.report_request(partner=self.partner, actor=request.user, evaluation=self.get_object())
        return Response(ReportOut(report).data, status=status.HTTP_202_ACCEPTED)


class ReportDetailView(PartnerAPIView):
    serializer_class = ReportOut

    def scoped_queryset(self):
        return selectors.report_list(partner=self.partner)

    def get(self, request, partner_slug, code):
        return Response(ReportOut(self.get_object()).data)


class ReportFileView(PartnerAPIView):
    """A finished report's file: ``html``, ``pdf``, ``json`` (the results JSON, documented in the
    README), ``xlsx`` (the appendix workbook) or ``docx`` (the report as a Word document, to edit)."""

    serializer_class = ReportOut

    def scoped_queryset(self):
        return selectors.report_list(partner=self.partner)

    @extend_schema(
        operation_id="v1_partners_reports_file",
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(Report.FILE_KINDS))],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/html"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, REPORT_CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            (200, REPORT_CONTENT_TYPES["docx"]): OpenApiTypes.BINARY,
        },
    )
    def get(self, request, partner_slug, code, kind):
        found = selectors.report_file(partner=self.partner, code=code, kind=kind)
        if found is None:
            raise NotFound("No finished report with this code.")
        return report_file_response(*found, kind)
