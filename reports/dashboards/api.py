"""API: the dashboards' stored figures (the programme dashboard, a cohort's dashboard, an
evaluation's figures for its partner)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from cohorts.selectors import applications as cohort_selectors
from evaluations import selectors as evaluation_selectors
from pine.api import PartnerAPIView, PracticeAPIView
from reports.dashboards import rules, selectors
from reports.dashboards.models import EvaluationFigures


class ProgrammeFilterIn(serializers.Serializer):
    cohort = serializers.SlugField(required=False, allow_blank=True, help_text="A cohort's slug.")
    stage = serializers.ChoiceField(choices=list(rules.STAGES), required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=list(rules.STATUSES), required=False, allow_blank=True)
    sort = serializers.ChoiceField(choices=list(selectors.SORTS), required=False, default="partner")


class FiguresOut(serializers.Serializer):
    """An evaluation's stored figures (None until first computed)."""

    stage = serializers.CharField()
    status = serializers.CharField()
    status_reasons = serializers.ListField(child=serializers.CharField())
    data_through = serializers.DateField(allow_null=True)
    next_period = serializers.DateField(allow_null=True)
    next_due_on = serializers.DateField(allow_null=True)
    last_upload_at = serializers.DateTimeField(allow_null=True)
    last_upload_status = serializers.CharField()
    awaiting_approval = serializers.IntegerField()
    uploads_waiting = serializers.IntegerField()
    overdue_milestones = serializers.ListField(child=serializers.DictField())
    latest_report_at = serializers.DateTimeField(allow_null=True)
    latest_report_status = serializers.CharField()
    computed_at = serializers.DateTimeField(allow_null=True)
    being_updated = serializers.BooleanField(source="refresh_queued")


class ProgrammeRowOut(serializers.Serializer):
    cohort = serializers.SlugField(source="evaluation.cohort.slug")
    cohort_name = serializers.CharField(source="evaluation.cohort.name")
    evaluation = serializers.UUIDField(source="evaluation.code")
    title = serializers.CharField(source="evaluation.title")
    partner = serializers.SlugField(source="evaluation.partner.slug")
    partner_name = serializers.CharField(source="evaluation.partner.name")
    figures = FiguresOut(allow_null=True)


class ProgrammeDashboardView(PracticeAPIView):
    """Every evaluation of every cohort with its stored figures, filtered and sorted as the
    programme dashboard is."""

    serializer_class = ProgrammeRowOut

    def scoped_queryset(self):
        return EvaluationFigures.objects.none()  # rows come from the dashboard's selector

    @extend_schema(parameters=[ProgrammeFilterIn], responses=ProgrammeRowOut(many=True))
    def get(self, request):
        filters = ProgrammeFilterIn(data=request.query_params)
        filters.is_valid(raise_exception=True)
        groups = selectors.programme_rows(**{"cohort": "", "stage": "", "status": ""} | filters.validated_data)
        rows = [row for group in groups for row in group.rows]
        return self.paginated(rows, ProgrammeRowOut)


class CohortPartnerOut(serializers.Serializer):
    evaluation = serializers.UUIDField(source="evaluation.code")
    partner = serializers.SlugField(source="evaluation.partner.slug")
    partner_name = serializers.CharField(source="evaluation.partner.name")
    completeness = serializers.ListField(
        source="figures.completeness", child=serializers.ListField(child=serializers.CharField()), default=list
    )
    shared = serializers.DictField(
        source="figures.shared", default=dict, help_text="Each library measure's values as safe_cells leaves them."
    )
    computed_at = serializers.DateTimeField(source="figures.computed_at", default=None)


class CohortDashboardView(PracticeAPIView):
    """A cohort's partners with their completeness and their shared (safe) values per measure."""

    serializer_class = CohortPartnerOut
    lookup_field = lookup_url_kwarg = "slug"

    def scoped_queryset(self):
        return cohort_selectors.cohort_list()

    @extend_schema(responses=CohortPartnerOut(many=True))
    def get(self, request, slug):
        cohort = cohort_selectors.cohort_get(slug=slug)
        if cohort is None:
            raise NotFound("No such cohort.")
        rows = [{"evaluation": e, "figures": f} for e, f in selectors.cohort_figures(cohort=cohort)]
        return self.paginated(rows, CohortPartnerOut)


class EvaluationFiguresOut(FiguresOut):
    tasks = serializers.ListField(child=serializers.DictField())
    completeness = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    measures = serializers.ListField(child=serializers.DictField(), help_text="Per measure: SPC chart, icons and values.")


class EvaluationFiguresView(PartnerAPIView):
    """One of the partner's evaluations: its stored dashboard figures."""

    serializer_class = EvaluationFiguresOut

    def scoped_queryset(self):
        return evaluation_selectors.evaluation_list(partner=self.partner)

    @extend_schema(responses=EvaluationFiguresOut)
    def get(self, request, partner_slug, code):
        evaluation = self.get_object()
        figures = selectors.figures_get(partner=self.partner, evaluation=evaluation)
        if figures is None or figures.computed_at is None:
            raise NotFound("The figures of this evaluation have not been worked out yet.")
        return Response(EvaluationFiguresOut(figures).data)
