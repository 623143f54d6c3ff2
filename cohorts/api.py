"""API: cohorts and applications, for partners and for the practice team."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from cohorts import selectors, services
from pine.api import PartnerAPIView, PracticeAPIView, UserAPIView
from pine.models import Role
from pine.validators import validate_plausible_datetime


class CohortOut(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    theme = serializers.CharField()
    description = serializers.CharField()
    capacity = serializers.IntegerField()
    status = serializers.CharField()
    opens_at = serializers.DateTimeField()
    deadline_at = serializers.DateTimeField()


class CohortIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    theme = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    capacity = serializers.IntegerField(min_value=1, max_value=100, default=9)
    opens_at = serializers.DateTimeField(validators=[validate_plausible_datetime])
    deadline_at = serializers.DateTimeField(validators=[validate_plausible_datetime])
    publish = serializers.BooleanField(default=False)

    def validate(self, data):
        if data["deadline_at"] <= data["opens_at"]:
            raise serializers.ValidationError({"deadline_at": ["The deadline must be after the call opens."]})
        return data


class ApplicationOut(serializers.Serializer):
    code = serializers.UUIDField()
    cohort = serializers.SlugField(source="cohort.slug")
    practice_title = serializers.CharField()
    practice_summary = serializers.CharField()
    outcomes_summary = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class ApplicationIn(serializers.Serializer):
    cohort = serializers.SlugField(help_text="The slug of an open cohort.")
    practice_title = serializers.CharField(max_length=200)
    practice_summary = serializers.CharField()
    outcomes_summary = serializers.CharField()
    submit = serializers.BooleanField(default=False, help_text="Submit straight away instead of saving a draft.")


class PracticeApplicationOut(ApplicationOut):
    partner = serializers.SlugField(source="partner.slug")
    partner_name = serializers.CharField(source="partner.name")


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=list(services.DECISIONS))


class OpenCohortListView(UserAPIView):
    """Cohorts open for applications now."""

    serializer_class = CohortOut

    def scoped_queryset(self):
        return selectors.cohort_list_open()

    @extend_schema(responses=CohortOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), CohortOut)


class ApplicationListView(PartnerAPIView):
    serializer_class = ApplicationOut

    def scoped_queryset(self):
        return selectors.application_list(partner=self.partner)

    @extend_schema(responses=ApplicationOut(many=True))
    def get(self, request, partner_slug):
        return self.paginated(self.get_queryset(), ApplicationOut)

    @extend_schema(request=ApplicationIn, responses={201: ApplicationOut})
    def post(self, request, partner_slug):
        data = ApplicationIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        cohort = selectors.cohort_get_public(slug=fields.pop("cohort"))
        if cohort is None:
            raise serializers.ValidationError({"cohort": ["No open cohort has this slug."]})
        submit = fields.pop("submit")
        if submit and not self.membership.allows(Role.LEAD):
            raise PermissionDenied("Only the partner's lead can submit an application. Save it as a draft instead.")
        application = services.application_create(partner=self.partner, actor=request.user, cohort=cohort, **fields)
        if submit:
            application = services.application_submit(partner=self.partner, actor=request.user, application=application)
        return Response(ApplicationOut(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetailView(PartnerAPIView):
    serializer_class = ApplicationOut

    def scoped_queryset(self):
        return selectors.application_list(partner=self.partner)

    def get(self, request, partner_slug, code):
        return Response(ApplicationOut(self.get_object()).data)


class ApplicationSubmitView(PartnerAPIView):
    serializer_class = ApplicationOut
    write_role = Role.LEAD

    def scoped_queryset(self):
        return selectors.application_list(partner=self.partner)

    @extend_schema(request=None, responses=ApplicationOut)
    def post(self, request, partner_slug, code):
        application = services.application_submit(partner=self.partner, actor=request.user, application=self.get_object())
        return Response(ApplicationOut(application).data)


class PracticeCohortListView(PracticeAPIView):
    serializer_class = CohortOut

    def scoped_queryset(self):
        return selectors.cohort_list()

    @extend_schema(responses=CohortOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), CohortOut)

    @extend_schema(request=CohortIn, responses={201: CohortOut})
    def post(self, request):
        if request.user.practice_role != "practice_admin":
            raise PermissionDenied("Only a practice admin can create a cohort.")
        data = CohortIn(data=request.data)
        data.is_valid(raise_exception=True)
        cohort = services.cohort_create(actor=request.user, **data.validated_data)
        return Response(CohortOut(cohort).data, status=status.HTTP_201_CREATED)


class PracticeApplicationListView(PracticeAPIView):
    serializer_class = PracticeApplicationOut

    def scoped_queryset(self):
        return selectors.application_list_for_practice()

    @extend_schema(responses=PracticeApplicationOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), PracticeApplicationOut)


class PracticeApplicationDecisionView(PracticeAPIView):
    serializer_class = PracticeApplicationOut
    practice_roles = frozenset({"practice_admin"})

    def scoped_queryset(self):
        return selectors.application_list_for_practice()

    @extend_schema(request=DecisionIn, responses=PracticeApplicationOut)
    def post(self, request, code):
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_decide(
            actor=request.user, application=self.get_object(), decision=data.validated_data["decision"]
        )
        return Response(PracticeApplicationOut(application).data)
