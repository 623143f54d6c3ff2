"""API: a cohort's selection panel, decisions on applications, the preview of the emails and
their release. Practice team only; only practice admins record, clear and release decisions."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from cohorts.api.applications import PracticeApplicationOut
from cohorts.models import Application, Decision
from cohorts.selectors import applications as selectors
from cohorts.selectors import decisions as decision_selectors
from cohorts.selectors import panel as panel_selectors
from cohorts.services import decisions as decision_services
from cohorts.services import reviews as review_services
from pine.access import ADMINS, ADMINS_AND_ANALYSTS
from pine.api import PracticeAPIView


class CriterionOut(serializers.Serializer):
    position = serializers.IntegerField()
    title = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    counted = serializers.BooleanField()


class ReviewScoreOut(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.name")
    total = serializers.FloatField(help_text="Weighted total: the sum of weight × score over the counted criteria.")
    scores = serializers.ListField(
        child=serializers.IntegerField(allow_null=True), help_text="One score per criterion, in the order of `criteria`."
    )


class PanelRowOut(serializers.Serializer):
    code = serializers.UUIDField(source="application.code")
    partner = serializers.SlugField(source="application.partner.slug")
    partner_name = serializers.CharField(source="application.partner.name")
    practice_title = serializers.CharField(source="application.practice_title")
    status = serializers.ChoiceField(choices=Application.Status.choices, source="application.status")
    pending_decision = serializers.CharField(
        source="application.pending_decision", help_text="accept, waiting_list, decline or ''."
    )
    reviews = ReviewScoreOut(many=True)
    mean = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    spread = serializers.FloatField(allow_null=True)
    flagged = serializers.BooleanField(help_text="Reviewers' scores for one criterion differ by the threshold or more.")
    disagreements = serializers.SerializerMethodField()

    def get_disagreements(self, row) -> list[str]:
        return [c.title for c in row.disagreements]


class PlacesOut(serializers.Serializer):
    capacity = serializers.IntegerField()
    accepted = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Pending accepts, not yet released.")
    taken = serializers.IntegerField()


class PanelOut(serializers.Serializer):
    cohort = serializers.SlugField(source="cohort.slug")
    disagreement_threshold = serializers.IntegerField(source="cohort.disagreement_threshold")
    places = PlacesOut()
    criteria = CriterionOut(many=True)
    applications = PanelRowOut(many=True)


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    confirm_over_capacity = serializers.BooleanField(required=False, default=False)
    confirm_without_reviews = serializers.BooleanField(
        required=False, default=False, help_text="Needed to decide an eligible application no reviewer has submitted a review of."
    )


class DecisionOut(PracticeApplicationOut):
    pending_decision = serializers.CharField()
    decision_note = serializers.CharField()
    decision_released_at = serializers.DateTimeField(allow_null=True)


class EmailOut(serializers.Serializer):
    code = serializers.UUIDField(source="application.code")
    partner = serializers.SlugField(source="application.partner.slug")
    decision = serializers.ChoiceField(choices=Decision.choices)
    recipients = serializers.ListField(child=serializers.EmailField(), source="recipient_emails")
    subject = serializers.CharField()
    body = serializers.CharField()


class ReleaseOut(serializers.Serializer):
    released = DecisionOut(many=True)


class PracticeCohortPanelAPIView(PracticeAPIView):
    lookup_field = "slug"
    lookup_url_kwarg = "slug"
    practice_roles = ADMINS_AND_ANALYSTS

    def scoped_queryset(self):
        return selectors.cohort_list()


PANEL_PARAMETERS = [
    OpenApiParameter("flagged", bool, description="Only applications where reviewers disagree."),
    OpenApiParameter("decision", str, description="Pending decision: accept, waiting_list, decline, or none."),
    OpenApiParameter("status", str, description="Application status."),
    OpenApiParameter("sort", str, description="name, mean, median or spread; a leading - reverses."),
]


class PanelView(PracticeCohortPanelAPIView):
    serializer_class = PanelOut

    @extend_schema(parameters=PANEL_PARAMETERS, responses=PanelOut)
    def get(self, request, slug):
        """Every application of the cohort with each reviewer's scores and the panel's statistics."""
        cohort = self.get_object()
        panel = panel_selectors.panel_get(cohort=cohort)
        query = request.query_params
        rows = panel_selectors.panel_rows(
            panel,
            flagged=query.get("flagged", "").lower() in ("1", "true", "yes", "on"),
            decision=query.get("decision", ""),
            status=query.get("status", ""),
            sort=query.get("sort", "") or panel_selectors.DEFAULT_SORT,
        )
        places = decision_selectors.cohort_places(cohort=cohort)
        data = {
            "cohort": cohort,
            "places": {
                "capacity": places.capacity,
                "accepted": places.accepted,
                "pending": places.pending,
                "taken": places.taken,
            },
            "criteria": panel.criteria,
            "applications": rows,
        }
        return Response(PanelOut(data).data)


class DecisionPreviewView(PracticeCohortPanelAPIView):
    serializer_class = EmailOut
    pagination_class = None  # one email per pending decision of one cohort: never many

    @extend_schema(responses=EmailOut(many=True))
    def get(self, request, slug):
        """The emails releasing the cohort's decisions would send now."""
        emails = decision_services.decision_preview(actor=request.user, cohort=self.get_object())
        return Response(EmailOut(emails, many=True).data)


class DecisionReleaseView(PracticeCohortPanelAPIView):
    serializer_class = ReleaseOut
    practice_roles = ADMINS

    @extend_schema(request=None, responses=ReleaseOut)
    def post(self, request, slug):
        """Release every pending decision of the cohort: statuses change, emails go, accepted
        partners' evaluations are created. A second release does nothing."""
        released = decision_services.decisions_release(actor=request.user, cohort=self.get_object())
        return Response(ReleaseOut({"released": released}).data)


class ApplicationDecisionView(PracticeAPIView):
    """Refused (403, saying why) to someone who declared a conflict of interest with the application."""

    serializer_class = DecisionOut
    practice_roles = ADMINS

    def scoped_queryset(self):
        return selectors.application_list_for_practice(include_drafts=True)

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        review_services.require_no_conflict(actor=request.user, application=obj)

    @extend_schema(request=DecisionIn, responses=DecisionOut)
    def post(self, request, code):
        """Record (or change) the application's pending decision. Accepting beyond the cohort's
        capacity needs ``confirm_over_capacity``; an eligible application without a submitted review,
        ``confirm_without_reviews``."""
        application = self.get_object()
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        application = decision_services.decision_record(actor=request.user, application=application, **data.validated_data)
        return Response(DecisionOut(application).data)

    @extend_schema(
        request=None,
        responses={
            200: DecisionOut,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT, description="The application has no pending decision (`non_field_errors`)."
            ),
        },
    )
    def delete(self, request, code):
        """Clear the application's pending decision."""
        application = decision_services.decision_clear(actor=request.user, application=self.get_object())
        return Response(DecisionOut(application).data, status=status.HTTP_200_OK)
