"""API: an evaluation's reports (request one, follow its build, download its files)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from evaluations import selectors as evaluation_selectors
from pine.access import ADMINS
from pine.api import PartnerAPIView, PracticeAPIView
from pine.models import Role
from reports import selectors, services
from reports.models import Report
from reports.views import REPORT_CONTENT_TYPES, report_file_response


class FinalisationOut(serializers.Serializer):
    code = serializers.UUIDField()
    status = serializers.CharField(help_text="`queued`, `running`, `done` (the version is final) or `failed`.")
    progress = serializers.IntegerField(help_text="Percent done, 0 to 100.")
    stage = serializers.CharField()
    error = serializers.CharField(help_text="Why it failed (the version is then not final, and unchanged).")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


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
    narrative = serializers.CharField(help_text="The partner's own key messages (at most 300 words).")
    publication = serializers.ChoiceField(
        choices=Report.Publication.choices,
        help_text="`not_final`; `final` (marked final by the partner's lead, awaiting approval); `published`.",
    )
    finalised_at = serializers.DateTimeField(allow_null=True)
    sent_back_reason = serializers.CharField(help_text="Why the practice team last sent it back, until it is final again.")
    finalisation = FinalisationOut(
        source="latest_finalisation",
        allow_null=True,
        help_text="The latest request to mark the version final: a worker draws its final files (poll until `done`).",
    )


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


# --- final, approval and publication -------------------------------------------------------------------


class NarrativeIn(serializers.Serializer):
    narrative = serializers.CharField(
        allow_blank=True, max_length=5000, help_text="The partner's own key messages: at most 300 words."
    )


class ReportNarrativeView(PartnerAPIView):
    """The partner's key messages for a finished version that is not final (a lead's)."""

    serializer_class = ReportOut
    write_role = Role.LEAD

    def scoped_queryset(self):
        return selectors.report_list(partner=self.partner)

    @extend_schema(request=NarrativeIn, responses=ReportOut)
    def post(self, request, partner_slug, code):
        data = NarrativeIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_narrative_update(
            partner=self.partner, actor=request.user, report=self.get_object(), **data.validated_data
        )
        return Response(ReportOut(report).data)


class ReportFinalView(PartnerAPIView):
    """Mark a finished version final (a lead's): a worker draws its HTML, PDF and Word document again
    with the key messages, then the version is final; its results JSON does not change. Answers 202
    at once: poll the report until its `finalisation.status` is `done` (or `failed`, with the
    reason). Not for a DRAFT version."""

    serializer_class = ReportOut
    write_role = Role.LEAD

    def scoped_queryset(self):
        return selectors.report_list(partner=self.partner)

    @extend_schema(request=None, responses={202: ReportOut})
    def post(self, request, partner_slug, code):
        finalisation = services.report_mark_final(partner=self.partner, actor=request.user, report=self.get_object())
        report = selectors.report_get(partner=self.partner, code=finalisation.report.code)
        return Response(ReportOut(report).data, status=status.HTTP_202_ACCEPTED)


class PracticeReportOut(ReportOut):
    partner = serializers.SlugField(source="partner.slug")
    partner_name = serializers.CharField(source="partner.name")
    evaluation_title = serializers.CharField(source="evaluation.title")


class PracticeReportListView(PracticeAPIView):
    """Final versions awaiting a practice admin's approval, longest waiting first."""

    serializer_class = PracticeReportOut
    practice_roles = ADMINS

    def scoped_queryset(self):
        return selectors.report_list_awaiting_approval()

    @extend_schema(responses=PracticeReportOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), PracticeReportOut)


class DownloadsOut(serializers.Serializer):
    html = serializers.CharField()
    pdf = serializers.CharField()
    json = serializers.CharField(help_text="The results JSON (its format is in the README).")
    xlsx = serializers.CharField(required=False, help_text="The appendix workbook (absent from copies published before it).")
    docx = serializers.CharField(required=False, help_text="The report as a Word document (absent from early copies).")


class PublishedReportOut(serializers.Serializer):
    code = serializers.UUIDField()
    evaluation = serializers.UUIDField(source="evaluation_code")
    version = serializers.IntegerField()
    partner_name = serializers.CharField()
    evaluation_title = serializers.CharField()
    cohort = serializers.CharField(source="cohort_name")
    theme = serializers.CharField()
    practice_title = serializers.CharField()
    key_messages = serializers.ListField(child=serializers.CharField())
    narrative = serializers.CharField(help_text="The partner's own key messages.")
    published_at = serializers.DateTimeField()
    superseded_by_version = serializers.IntegerField(
        allow_null=True, help_text="A later published version of the same evaluation, if any."
    )
    downloads = serializers.SerializerMethodField(help_text="Paths on this site; each download is counted.")

    @extend_schema_field(DownloadsOut)
    def get_downloads(self, published) -> dict:
        return {kind: reverse("reports:published_download", args=[published.code, kind]) for kind in published.file_kinds}


class PracticeReportApproveView(PracticeAPIView):
    """Approve a final version for publication (a practice admin's): it appears on the public page
    and in the public list; earlier published versions of the evaluation are marked superseded."""

    serializer_class = PublishedReportOut
    practice_roles = ADMINS

    def scoped_queryset(self):
        return selectors.report_list_awaiting_approval()

    @extend_schema(request=None, responses={201: PublishedReportOut})
    def post(self, request, code):
        published = services.report_approve(actor=request.user, report=self.get_object())
        return Response(PublishedReportOut(published).data, status=status.HTTP_201_CREATED)


class SendBackIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why: the partner's lead is told.")


class PracticeReportSendBackView(PracticeAPIView):
    """Send a final version back to its partner with a reason: it is not final again."""

    serializer_class = PracticeReportOut
    practice_roles = ADMINS

    def scoped_queryset(self):
        return selectors.report_list_awaiting_approval()

    @extend_schema(request=SendBackIn, responses=PracticeReportOut)
    def post(self, request, code):
        data = SendBackIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_send_back(actor=request.user, report=self.get_object(), **data.validated_data)
        return Response(PracticeReportOut(report).data)


class PublishedReportListView(generics.GenericAPIView):
    """Published evaluations, for anyone (no sign-in): ``q`` searches the text, ``cohort`` and
    ``theme`` filter exactly. Outside the scoped bases on purpose (allow-listed in
    tests/test_tenancy.py): it reads only the partner-less published copies, never a tenant table."""

    serializer_class = PublishedReportOut
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words to find in the partner, practice, cohort, theme or key messages."),
            OpenApiParameter("cohort", str, description="A cohort's name, exactly."),
            OpenApiParameter("theme", str, description="A theme, exactly."),
        ],
        responses=PublishedReportOut(many=True),
        auth=[],
    )
    def get(self, request):
        published = selectors.published_report_list(
            text=request.query_params.get("q", "")[:200],
            cohort=request.query_params.get("cohort", "")[:200],
            theme=request.query_params.get("theme", "")[:200],
        )
        page = self.paginate_queryset(published)
        return self.get_paginated_response(PublishedReportOut(page, many=True).data)
