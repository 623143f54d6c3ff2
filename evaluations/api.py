"""API: a partner's evaluations, their workspace (onboarding, milestones, meetings, plan, theory of
change) and local measures."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from evaluations import selectors, services, theory
from evaluations.forms import DOCUMENT_TOO_LARGE, MAX_DOCUMENT_BYTES
from evaluations.models import (
    COMPARISON_ROWS,
    DEFAULT_HORIZON_DAYS,
    INTERVENTION_ROWS,
    MAX_HORIZON_DAYS,
    PLAN_DIRECTIONS,
    PLAN_ROLES,
    EvaluationPlan,
    Milestone,
)
from measures import selectors as measure_selectors
from measures import services as measure_services
from measures.api import LocalMeasureOut, MeasureChangeIn
from measures.models import Measure
from pine.access import ADMINS
from pine.api import PartnerAPIView, PracticeAPIView
from pine.representation import OutputSerializer
from pine.validators import DOCUMENT_TYPE_MESSAGE, document_kind


class EvaluationOut(OutputSerializer):
    code = serializers.UUIDField()
    title = serializers.CharField()
    cohort = serializers.SlugField(source="cohort.slug")
    created_at = serializers.DateTimeField()
    population = serializers.DictField(
        child=serializers.IntegerField(),
        help_text='The area\'s children aged 0 to 17 by year of the ONS mid-year estimate ({"2024": 61250}): the '
        "denominator of rates per 10,000 computed from statutory returns.",
    )


class PopulationIn(serializers.Serializer):
    population = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=5_000_000),
        help_text="Years (YYYY) to children aged 0 to 17; 0 removes a year. Years not named are kept.",
    )


class PracticeEvaluationOut(EvaluationOut):
    partner = serializers.SlugField(source="partner.slug")


class EvaluationListView(PartnerAPIView):
    serializer_class = EvaluationOut

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    @extend_schema(responses=EvaluationOut(many=True))
    def get(self, request, partner_slug):
        return self.paginated(self.get_queryset(), EvaluationOut)


class EvaluationDetailView(PartnerAPIView):
    serializer_class = EvaluationOut

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    def get(self, request, partner_slug, code):
        return Response(EvaluationOut(self.get_object()).data)


class PopulationView(PartnerAPIView):
    """The area's population of children by year (for rates per 10,000). PUT {"population": {"2024": 61250}}."""

    serializer_class = EvaluationOut

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    @extend_schema(request=PopulationIn, responses=EvaluationOut)
    def put(self, request, partner_slug, code):
        evaluation = self.get_object()
        data = PopulationIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.evaluation_population_set(
            partner=self.partner, actor=request.user, evaluation=evaluation, population=data.validated_data["population"]
        )
        return Response(EvaluationOut(evaluation).data)


class PracticeEvaluationListView(PracticeAPIView):
    serializer_class = PracticeEvaluationOut

    def scoped_queryset(self):
        return selectors.evaluation_list_for_practice()

    @extend_schema(responses=PracticeEvaluationOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), PracticeEvaluationOut)


# --- the evaluation workspace --------------------------------------------------------------------


class OnboardingOut(serializers.Serializer):
    dsa_filename = serializers.CharField()
    dsa_signed_on = serializers.DateField(allow_null=True)
    dsa_expires_on = serializers.DateField(allow_null=True)
    dpia_completed_on = serializers.DateField(allow_null=True)
    ethics_required = serializers.BooleanField(allow_null=True)
    ethics_approved_on = serializers.DateField(allow_null=True)
    ethics_body = serializers.CharField()
    data_lead_name = serializers.CharField()
    data_lead_email = serializers.CharField()
    sponsor_name = serializers.CharField()
    sponsor_role = serializers.CharField()
    checklist = serializers.DictField(child=serializers.BooleanField(), help_text="Each item and whether it is done.")
    upload_blocker = serializers.CharField(allow_null=True, help_text="Why data cannot be uploaded yet, or null.")


class OnboardingIn(serializers.Serializer):
    def validate_dsa_document(self, document):
        if document is not None and document.size > MAX_DOCUMENT_BYTES:
            raise serializers.ValidationError(DOCUMENT_TOO_LARGE)
        if document is not None:
            kind = document_kind(document.read())
            document.seek(0)
            if kind is None:
                raise serializers.ValidationError(DOCUMENT_TYPE_MESSAGE)
        return document

    dsa_document = serializers.FileField(
        required=False, help_text="The signed data sharing agreement: a PDF or Word (.docx) file, up to 20 MB."
    )
    dsa_signed_on = serializers.DateField(required=False)
    dsa_expires_on = serializers.DateField(required=False)
    dpia_completed_on = serializers.DateField(required=False)
    ethics_required = serializers.BooleanField(required=False)
    ethics_approved_on = serializers.DateField(required=False)
    ethics_body = serializers.CharField(required=False, allow_blank=True, max_length=200)
    data_lead_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    data_lead_email = serializers.EmailField(required=False, allow_blank=True)
    sponsor_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    sponsor_role = serializers.CharField(required=False, allow_blank=True, max_length=200)


class MilestoneOut(serializers.Serializer):
    code = serializers.UUIDField()
    kind = serializers.CharField()
    name = serializers.CharField(source="get_kind_display")
    due_on = serializers.DateField()
    status = serializers.CharField()
    owner = serializers.CharField()
    notes = serializers.CharField()
    completed_on = serializers.DateField(allow_null=True)
    overdue = serializers.SerializerMethodField()

    def get_overdue(self, milestone) -> bool:
        return milestone.is_overdue(timezone.localdate())


class MilestoneIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Milestone.Status.choices)
    due_on = serializers.DateField()
    owner = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingOut(serializers.Serializer):
    code = serializers.UUIDField()
    held_on = serializers.DateField()
    attendees = serializers.CharField()
    notes = serializers.CharField()
    actions = serializers.CharField()


class MeetingIn(serializers.Serializer):
    held_on = serializers.DateField()
    attendees = serializers.CharField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    actions = serializers.CharField(required=False, allow_blank=True, default="")


def _onboarding_out(partner, evaluation) -> dict:
    onboarding = selectors.onboarding_get(partner=partner, evaluation=evaluation)
    data = {name: getattr(onboarding, name) for name in OnboardingOut().fields if hasattr(onboarding, name)}
    data["checklist"] = dict(onboarding.checklist(timezone.localdate()))
    data["upload_blocker"] = selectors.evaluation_upload_blocker(partner=partner, evaluation=evaluation)
    return OnboardingOut(data).data


class OnboardingView(PartnerAPIView):
    """The onboarding checklist. PATCH with JSON, or multipart/form-data to send the agreement."""

    serializer_class = OnboardingOut
    parser_classes = [JSONParser, MultiPartParser]
    max_upload_bytes = staticmethod(lambda: MAX_DOCUMENT_BYTES)  # the page's limit (pine.middleware.UploadLimitMiddleware)

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    @extend_schema(responses=OnboardingOut)
    def get(self, request, partner_slug, code):
        return Response(_onboarding_out(self.partner, self.get_object()))

    @extend_schema(request=OnboardingIn, responses=OnboardingOut)
    def patch(self, request, partner_slug, code):
        evaluation = self.get_object()
        if getattr(request, "upload_too_large", False):
            return Response({"detail": DOCUMENT_TOO_LARGE}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        data = OnboardingIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        document = fields.pop("dsa_document", None)
        services.onboarding_update(
            partner=self.partner,
            actor=request.user,
            evaluation=evaluation,
            dsa_file=(document.name, document.read()) if document is not None else None,
            **fields,
        )
        return Response(_onboarding_out(self.partner, evaluation))


class MilestoneListView(PartnerAPIView):
    serializer_class = MilestoneOut

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    @extend_schema(responses=MilestoneOut(many=True))
    def get(self, request, partner_slug, code):
        return self.paginated(selectors.milestone_list(partner=self.partner, evaluation=self.get_object()), MilestoneOut)


class MilestoneDetailView(PartnerAPIView):
    serializer_class = MilestoneOut

    def scoped_queryset(self):
        return selectors.milestone_list_all(partner=self.partner)

    @extend_schema(responses=MilestoneOut)
    def get(self, request, partner_slug, code):
        return Response(MilestoneOut(self.get_object()).data)

    @extend_schema(request=MilestoneIn, responses=MilestoneOut)
    def put(self, request, partner_slug, code):
        data = MilestoneIn(data=request.data)
        data.is_valid(raise_exception=True)
        milestone = services.milestone_update(
            partner=self.partner, actor=request.user, milestone=self.get_object(), **data.validated_data
        )
        return Response(MilestoneOut(milestone).data)


class MeetingListView(PartnerAPIView):
    serializer_class = MeetingOut

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    @extend_schema(responses=MeetingOut(many=True))
    def get(self, request, partner_slug, code):
        return self.paginated(selectors.meeting_list(partner=self.partner, evaluation=self.get_object()), MeetingOut)

    @extend_schema(request=MeetingIn, responses={201: MeetingOut})
    def post(self, request, partner_slug, code):
        data = MeetingIn(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_log(
            partner=self.partner, actor=request.user, evaluation=self.get_object(), **data.validated_data
        )
        return Response(MeetingOut(meeting).data, status=status.HTTP_201_CREATED)


# --- the evaluation plan -------------------------------------------------------------------------


class PlanMeasure(serializers.Serializer):
    code = serializers.CharField()
    direction = serializers.ChoiceField(choices=list(PLAN_DIRECTIONS))
    role = serializers.ChoiceField(
        choices=list(PLAN_ROLES),
        required=False,
        help_text="primary answers the question; secondary is exploratory. When no measure has a role, the first is primary.",
    )


class PlanContent(serializers.Serializer):
    research_questions = serializers.CharField(allow_blank=True, required=False, default="")
    design = serializers.ChoiceField(choices=EvaluationPlan.Design.choices, allow_blank=True, required=False, default="")
    intervention_start = serializers.DateField(allow_null=True, required=False, default=None)
    baseline_start = serializers.DateField(allow_null=True, required=False, default=None)
    baseline_end = serializers.DateField(allow_null=True, required=False, default=None)
    follow_up_start = serializers.DateField(allow_null=True, required=False, default=None)
    follow_up_end = serializers.DateField(allow_null=True, required=False, default=None)
    comparison_group = serializers.CharField(allow_blank=True, required=False, default="")
    comparison_how_chosen = serializers.CharField(allow_blank=True, required=False, default="")
    groups_exclusive = serializers.BooleanField(
        required=False,
        default=False,
        help_text="No child is in both groups: uploads check that all >= intervention + comparison.",
    )
    intervention_rows = serializers.ChoiceField(choices=list(INTERVENTION_ROWS), required=False, default="intervention")
    comparison_rows = serializers.ChoiceField(
        choices=list(COMPARISON_ROWS), allow_blank=True, required=False, default="comparison"
    )
    measures = PlanMeasure(many=True, required=False, default=list)
    expected_children_per_period = serializers.IntegerField(min_value=0, allow_null=True, required=False, default=None)
    horizon_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_HORIZON_DAYS,
        required=False,
        default=DEFAULT_HORIZON_DAYS,
        help_text="Time to event only: the estimate is the difference in the percentage with the event by this many days.",
    )

    def validate_measures(self, measures):
        known = set(measure_selectors.measure_list(partner=self.context.get("partner")).values_list("code", flat=True))
        unknown = sorted({m["code"] for m in measures} - known)
        if unknown:
            raise serializers.ValidationError(f"Unknown measure codes: {', '.join(unknown)}.")
        return measures

    def validate(self, data):
        for start, end in (("baseline_start", "baseline_end"), ("follow_up_start", "follow_up_end")):
            if data.get(start) and data.get(end) and data[end] < data[start]:
                raise serializers.ValidationError({end: ["The period must end after it starts."]})
        return data


class PlanOut(PlanContent):
    version = serializers.IntegerField()
    status = serializers.CharField()
    change_reason = serializers.CharField()
    signed_off_at = serializers.DateTimeField(allow_null=True)
    missing_for_sign_off = serializers.ListField(child=serializers.CharField())


class PlanNewVersionIn(serializers.Serializer):
    reason = serializers.CharField()


def _plan_out(plan: EvaluationPlan) -> dict:
    data = {name: getattr(plan, name) for name in PlanOut().fields if hasattr(plan, name)}
    data["missing_for_sign_off"] = plan.missing_for_sign_off() if plan.status == plan.Status.DRAFT else []
    roles = plan.measure_roles()
    data["measures"] = [{**m, "role": roles[m["code"]]} for m in plan.measures]
    return PlanOut(data).data


class PlanSubmitView(PartnerAPIView):
    """The partner submits its complete draft plan for the practice team's sign-off."""

    serializer_class = PlanOut

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    @extend_schema(request=None, responses=PlanOut)
    def post(self, request, partner_slug, code):
        plan = services.plan_submit(partner=self.partner, actor=request.user, evaluation=self.get_object())
        return Response(_plan_out(plan))


class PlanView(PartnerAPIView):
    """The current version of the plan. PUT saves the draft (a signed-off plan needs a new version)."""

    serializer_class = PlanOut

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    @extend_schema(responses=PlanOut)
    def get(self, request, partner_slug, code):
        plan = selectors.plan_current(partner=self.partner, evaluation=self.get_object())
        if plan is None:
            raise NotFound("This evaluation has no plan yet.")
        return Response(_plan_out(plan))

    @extend_schema(request=PlanContent, responses=PlanOut)
    def put(self, request, partner_slug, code):
        evaluation = self.get_object()
        data = PlanContent(data=request.data, context={"partner": self.partner})
        data.is_valid(raise_exception=True)
        plan = services.plan_save_draft(partner=self.partner, actor=request.user, evaluation=evaluation, **data.validated_data)
        return Response(_plan_out(plan))


class PlanVersionListView(PartnerAPIView):
    """Every version of the plan; POST starts a new draft version from the signed-off one."""

    serializer_class = PlanOut

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    @extend_schema(responses=PlanOut(many=True))
    def get(self, request, partner_slug, code):
        versions = selectors.plan_versions(partner=self.partner, evaluation=self.get_object())
        page = self.paginate_queryset(versions)
        return self.get_paginated_response([_plan_out(plan) for plan in page])

    @extend_schema(request=PlanNewVersionIn, responses={201: PlanOut})
    def post(self, request, partner_slug, code):
        data = PlanNewVersionIn(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.plan_new_version(
            partner=self.partner, actor=request.user, evaluation=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(_plan_out(plan), status=status.HTTP_201_CREATED)


class PlanReviewIn(serializers.Serializer):
    comments = serializers.CharField(allow_blank=True, required=False, default="", help_text="For the partner to read.")


class PlanChangesIn(serializers.Serializer):
    comments = serializers.CharField(help_text="What the partner should change.")


class PracticePlanSignOffView(PracticeAPIView):
    serializer_class = PlanOut
    practice_roles = ADMINS

    def scoped_queryset(self):
        return selectors.evaluation_list_for_practice()

    @extend_schema(request=PlanReviewIn, responses=PlanOut)
    def post(self, request, code):
        evaluation = self.get_object()
        plan = selectors.plan_current(partner=evaluation.partner, evaluation=evaluation)
        if plan is None:
            raise NotFound("This evaluation has no plan yet.")
        data = PlanReviewIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_plan_out(services.plan_sign_off(actor=request.user, plan=plan, **data.validated_data)))


class PracticePlanRequestChangesView(PracticeAPIView):
    """A practice admin sends the current plan back to its partner with comments: a draft again."""

    serializer_class = PlanOut
    practice_roles = ADMINS

    def scoped_queryset(self):
        return selectors.evaluation_list_for_practice()

    @extend_schema(request=PlanChangesIn, responses=PlanOut)
    def post(self, request, code):
        evaluation = self.get_object()
        plan = selectors.plan_current(partner=evaluation.partner, evaluation=evaluation)
        if plan is None:
            raise NotFound("This evaluation has no plan yet.")
        data = PlanChangesIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_plan_out(services.plan_request_changes(actor=request.user, plan=plan, **data.validated_data)))


# --- the theory of change ------------------------------------------------------------------------


class TheoryIn(serializers.Serializer):
    """The same text as the page's form: one element per line, links as ``AC1 -> OP1``."""

    inputs = serializers.CharField(allow_blank=True, required=False, default="")
    activities = serializers.CharField(allow_blank=True, required=False, default="")
    outputs = serializers.CharField(allow_blank=True, required=False, default="")
    short_term = serializers.CharField(allow_blank=True, required=False, default="")
    long_term = serializers.CharField(allow_blank=True, required=False, default="")
    assumptions = serializers.CharField(allow_blank=True, required=False, default="")
    links = serializers.CharField(allow_blank=True, required=False, default="")
    measures = serializers.CharField(allow_blank=True, required=False, default="")


class TheoryOut(serializers.Serializer):
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    content = serializers.JSONField(help_text="elements (id, kind, text), links [from, to], measures {outcome: [codes]}")


class TheoryView(PartnerAPIView):
    serializer_class = TheoryOut

    def scoped_queryset(self):
        return selectors.evaluation_list(partner=self.partner)

    @extend_schema(responses=TheoryOut)
    def get(self, request, partner_slug, code):
        current = selectors.theory_get(partner=self.partner, evaluation=self.get_object())
        if current is None:
            raise NotFound("This evaluation has no theory of change yet.")
        return Response(TheoryOut(current).data)

    @extend_schema(request=TheoryIn, responses=TheoryOut)
    def put(self, request, partner_slug, code):
        evaluation = self.get_object()
        data = TheoryIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        known = set(measure_selectors.measure_list(partner=self.partner).values_list("code", flat=True))
        texts = {kind: fields[kind] for kind, _, _ in theory.KINDS}
        content, problems = theory.parse(texts, fields["links"], fields["measures"], known_measures=known)
        if problems:
            errors: dict[str, list[str]] = {}
            for problem in problems:
                errors.setdefault(problem.field, []).append(problem.message)
            raise serializers.ValidationError(errors)
        saved = services.theory_save(partner=self.partner, actor=request.user, evaluation=evaluation, content=content)
        return Response(TheoryOut(saved).data)


# --- local measures (each added to one of the partner's evaluations) ----------------------------------


class LocalMeasureIn(MeasureChangeIn):
    evaluation = serializers.UUIDField(help_text="The evaluation (of this partner) the measure is for.")
    code = serializers.SlugField(max_length=60, help_text="Unique within your partnership; never a library code.")
    name = serializers.CharField(max_length=200)
    definition = serializers.CharField(max_length=5000)
    unit = serializers.ChoiceField(choices=Measure.Unit.choices)
    polarity = serializers.ChoiceField(choices=Measure.Polarity.choices)


class LocalMeasureListView(PartnerAPIView):
    """This partner's local measures. POST one to add it (a lead or contributor)."""

    serializer_class = LocalMeasureOut

    def scoped_queryset(self):
        return measure_selectors.local_measure_list(partner=self.partner)

    @extend_schema(responses=LocalMeasureOut(many=True))
    def get(self, request, partner_slug):
        return self.paginated(self.get_queryset(), LocalMeasureOut)

    @extend_schema(request=LocalMeasureIn, responses={201: LocalMeasureOut})
    def post(self, request, partner_slug):
        data = LocalMeasureIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        evaluation = selectors.evaluation_get(partner=self.partner, code=fields.pop("evaluation"))
        if evaluation is None:
            raise serializers.ValidationError({"evaluation": ["No such evaluation."]})
        measure = measure_services.measure_local_create(
            partner=self.partner, actor=request.user, evaluation=evaluation, code=fields.pop("code"), **fields
        )
        return Response(LocalMeasureOut(measure).data, status=status.HTTP_201_CREATED)
