"""API: cohorts and applications, for partners and for the practice team.

Partners see applicant-facing statuses (``status``: ``cohorts.models.ApplicantStatus``); the
practice team sees the internal ones (``cohorts.models.Application.Status``).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from cohorts.models import ApplicantStatus, Application, Cohort
from cohorts.selectors import applications as selectors
from cohorts.selectors import reviews as review_selectors
from cohorts.selectors import stages as stage_selectors
from cohorts.services import applications as services
from cohorts.services import reviews as review_services
from pine.access import ADMINS, ADMINS_AND_ANALYSTS
from pine.api import PartnerAPIView, PracticeAPIView, UserAPIView
from pine.models import Role
from pine.validators import validate_plausible_datetime

# --- cohorts ---------------------------------------------------------------------------------------

DATES = ("review_starts_at", "review_ends_at", "selection_announced_at", "programme_starts_at", "programme_ends_at")


class CohortOut(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    theme = serializers.CharField()
    description = serializers.CharField()
    guidance = serializers.CharField()
    eligibility = serializers.CharField()
    multi_agency = serializers.BooleanField()
    capacity = serializers.IntegerField()
    reviewers_per_application = serializers.IntegerField()
    blind_review = serializers.BooleanField()
    disagreement_threshold = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Cohort.Status.choices)
    opens_at = serializers.DateTimeField()
    deadline_at = serializers.DateTimeField()
    review_starts_at = serializers.DateTimeField(allow_null=True)
    review_ends_at = serializers.DateTimeField(allow_null=True)
    selection_announced_at = serializers.DateTimeField(allow_null=True)
    programme_starts_at = serializers.DateTimeField(allow_null=True)
    programme_ends_at = serializers.DateTimeField(allow_null=True)


def _date(**kwargs) -> serializers.DateTimeField:
    return serializers.DateTimeField(validators=[validate_plausible_datetime], **kwargs)


class CohortUpdateIn(serializers.Serializer):
    """Any of a cohort's details (a draft or open cohort only; the review settings also while it is
    being reviewed)."""

    name = serializers.CharField(max_length=200, required=False)
    theme = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    guidance = serializers.CharField(required=False, allow_blank=True)
    eligibility = serializers.CharField(required=False, allow_blank=True)
    multi_agency = serializers.BooleanField(required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=100, required=False)
    reviewers_per_application = serializers.IntegerField(min_value=1, max_value=10, required=False)
    blind_review = serializers.BooleanField(required=False)
    disagreement_threshold = serializers.IntegerField(min_value=1, max_value=10, required=False)
    opens_at = _date(required=False)
    deadline_at = _date(required=False)
    review_starts_at = _date(required=False, allow_null=True)
    review_ends_at = _date(required=False, allow_null=True)
    selection_announced_at = _date(required=False, allow_null=True)
    programme_starts_at = _date(required=False, allow_null=True)
    programme_ends_at = _date(required=False, allow_null=True)


class CohortIn(CohortUpdateIn):
    name = serializers.CharField(max_length=200)
    opens_at = _date()
    deadline_at = _date()
    publish = serializers.BooleanField(default=False)

    def validate(self, data):
        if data["deadline_at"] <= data["opens_at"]:
            raise serializers.ValidationError({"deadline_at": ["The deadline must be after the call opens."]})
        return data


class CohortTransitionIn(serializers.Serializer):
    to = serializers.ChoiceField(choices=Cohort.Status.choices, help_text="The stage to move to.")
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Needed when the move has consequences (every move listed by GET has): without it nothing moves "
        "and the 400 answer lists them.",
    )


class StageMoveQuery(serializers.Serializer):
    to = serializers.ChoiceField(choices=Cohort.Status.choices, help_text="The stage to move to.")


class StageMoveOut(serializers.Serializer):
    """What moving the cohort would do now: the list its confirmation page shows."""

    stage = serializers.ChoiceField(choices=Cohort.Status.choices, source="cohort.status", help_text="The stage it is at.")
    to = serializers.ChoiceField(choices=Cohort.Status.choices)
    allowed = serializers.SerializerMethodField(help_text="False when the move may not happen now (see refusal).")
    refusal = serializers.CharField(help_text="Why the move may not happen now; empty when it may.")
    consequences = serializers.ListField(child=serializers.CharField(), help_text="What the move will do.")
    notices = serializers.ListField(child=serializers.CharField(), help_text="Who will be told.")
    needs_confirm = serializers.SerializerMethodField(help_text="The move needs confirm: true.")

    def get_allowed(self, move) -> bool:
        return not move.refusal

    def get_needs_confirm(self, move) -> bool:
        return not move.refusal and bool(move.consequences)


class StageMoveRefusedOut(serializers.Serializer):
    """A move refused (``to``: why it may not happen now) or not confirmed (``confirm``, with the
    consequences and notices to confirm)."""

    to = serializers.ListField(child=serializers.CharField(), required=False)
    confirm = serializers.ListField(child=serializers.CharField(), required=False)
    consequences = serializers.ListField(child=serializers.CharField(), required=False)
    notices = serializers.ListField(child=serializers.CharField(), required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


# --- applications ----------------------------------------------------------------------------------


class AnswersIn(serializers.Serializer):
    """Answers to any of the sections (each optional: save as you go)."""

    partnership_roles = serializers.CharField(required=False, allow_blank=True)
    partnership_confirmed = serializers.BooleanField(required=False)
    practice_title = serializers.CharField(max_length=200, required=False)
    practice_summary = serializers.CharField(required=False, allow_blank=True)
    practice_evidence = serializers.CharField(required=False, allow_blank=True)
    children_description = serializers.CharField(required=False, allow_blank=True)
    children_count = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)
    joint_working = serializers.CharField(required=False, allow_blank=True)
    outcome_measures = serializers.ListField(
        child=serializers.SlugField(max_length=60), required=False, max_length=50, help_text="Codes from /api/v1/measures/."
    )
    outcomes_summary = serializers.CharField(required=False, allow_blank=True)
    data_available = serializers.CharField(required=False, allow_blank=True)
    data_systems = serializers.CharField(required=False, allow_blank=True)
    staff_time = serializers.CharField(required=False, allow_blank=True)
    analyst_available = serializers.ChoiceField(choices=Application.YesNo.choices, required=False, allow_blank=True)
    senior_sponsor = serializers.CharField(max_length=200, required=False, allow_blank=True)
    data_protection = serializers.CharField(required=False, allow_blank=True)
    safeguarding = serializers.CharField(required=False, allow_blank=True)


class ApplicationIn(AnswersIn):
    cohort = serializers.SlugField(help_text="The slug of an open cohort.")
    practice_title = serializers.CharField(max_length=200)
    submit = serializers.BooleanField(default=False, help_text="Submit straight away instead of saving a draft.")


class ApplicationUpdateIn(AnswersIn):
    pass


class SectionOut(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    complete = serializers.BooleanField()


class AnswersOut(serializers.Serializer):
    partnership_roles = serializers.CharField()
    partnership_confirmed = serializers.BooleanField()
    practice_title = serializers.CharField()
    practice_summary = serializers.CharField()
    practice_evidence = serializers.CharField()
    children_description = serializers.CharField()
    children_count = serializers.IntegerField(allow_null=True)
    joint_working = serializers.CharField()
    outcome_measures = serializers.ListField(child=serializers.CharField())
    outcomes_summary = serializers.CharField()
    data_available = serializers.CharField()
    data_systems = serializers.CharField()
    staff_time = serializers.CharField()
    analyst_available = serializers.CharField()
    senior_sponsor = serializers.CharField()
    data_protection = serializers.CharField()
    safeguarding = serializers.CharField()


class ApplicationOut(AnswersOut):
    """An application as its partner sees it: the applicant-facing status only."""

    code = serializers.UUIDField()
    cohort = serializers.SlugField(source="cohort.slug")
    status = serializers.ChoiceField(choices=ApplicantStatus.choices, source="applicant_status")
    status_label = serializers.CharField(source="get_applicant_status_display")
    sections = serializers.SerializerMethodField()
    deadline = serializers.DateTimeField()
    information_request = serializers.SerializerMethodField(help_text="The practice team's question, while it is open.")
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(responses=SectionOut(many=True))
    def get_sections(self, application) -> list[dict]:
        return [{"slug": s.slug, "title": s.title, "complete": application.section_complete(s)} for s in application.sections()]

    def get_information_request(self, application) -> str:
        return application.information_request if application.status == Application.Status.MORE_INFORMATION else ""


class CheckOut(serializers.Serializer):
    name = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()


class PracticeApplicationOut(AnswersOut):
    """An application as the practice team sees it: the internal status."""

    code = serializers.UUIDField()
    cohort = serializers.SlugField(source="cohort.slug")
    partner = serializers.SlugField(source="partner.slug")
    partner_name = serializers.CharField(source="partner.name")
    status = serializers.ChoiceField(choices=Application.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    deadline = serializers.DateTimeField()
    deadline_extended_to = serializers.DateTimeField(allow_null=True)
    deadline_extension_reason = serializers.CharField()
    screening_reason = serializers.CharField()
    information_request = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class PracticeApplicationDetailOut(PracticeApplicationOut):
    checks = serializers.SerializerMethodField()

    @extend_schema(responses=CheckOut(many=True))
    def get_checks(self, application) -> list[dict]:
        return [CheckOut(c).data for c in selectors.screening_checks(application)]


class RevisionOut(serializers.Serializer):
    number = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    submitted_by = serializers.CharField(source="submitted_by.full_name")
    in_reply_to = serializers.CharField()
    answers = serializers.DictField()


class ChangeOut(serializers.Serializer):
    section = serializers.CharField()
    label = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()
    changed = serializers.BooleanField()


class ComparisonOut(serializers.Serializer):
    before = serializers.IntegerField(help_text="Revision number.")
    after = serializers.IntegerField(help_text="Revision number.")
    answers = ChangeOut(many=True)


class ScreeningIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=list(services.SCREENING))
    reason = serializers.CharField()


class InformationRequestIn(serializers.Serializer):
    question = serializers.CharField()


class ExtensionIn(serializers.Serializer):
    until = _date()
    reason = serializers.CharField()


COMPARE_PARAMETERS = [
    OpenApiParameter("from", int, description="Revision number (default: the one before the last)."),
    OpenApiParameter("to", int, description="Revision number (default: the last)."),
]


def _comparison(revisions, query) -> dict:
    by_number = {r.number: r for r in revisions}
    if len(by_number) < 2:
        raise NotFound()
    numbers = sorted(by_number)
    try:
        first, second = int(query.get("from", numbers[-2])), int(query.get("to", numbers[-1]))
    except ValueError:
        raise NotFound() from None
    if first not in by_number or second not in by_number:
        raise NotFound()
    rows = selectors.revision_comparison(by_number[first], by_number[second])
    return {
        "before": first,
        "after": second,
        "answers": [
            {"section": r.section, "label": r.label, "before": r.before, "after": r.after, "changed": r.changed} for r in rows
        ],
    }


# --- partners' views -------------------------------------------------------------------------------


class OpenCohortListView(UserAPIView):
    """Cohorts open for applications now."""

    serializer_class = CohortOut

    def scoped_queryset(self):
        return selectors.cohort_list_open()

    @extend_schema(responses=CohortOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), CohortOut)


class PartnerApplicationAPIView(PartnerAPIView):
    serializer_class = ApplicationOut

    def scoped_queryset(self):
        return selectors.application_list(partner=self.partner)


class ApplicationListView(PartnerApplicationAPIView):
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


class ApplicationDetailView(PartnerApplicationAPIView):
    def get(self, request, partner_slug, code):
        return Response(ApplicationOut(self.get_object()).data)

    @extend_schema(request=ApplicationUpdateIn, responses=ApplicationOut)
    def patch(self, request, partner_slug, code):
        """Save answers to any of the sections (while the application can be changed)."""
        application = self.get_object()
        data = ApplicationUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_update(
            partner=self.partner, actor=request.user, application=application, **data.validated_data
        )
        return Response(ApplicationOut(application).data)


class ApplicationSubmitView(PartnerApplicationAPIView):
    write_role = Role.LEAD

    @extend_schema(request=None, responses=ApplicationOut)
    def post(self, request, partner_slug, code):
        application = services.application_submit(partner=self.partner, actor=request.user, application=self.get_object())
        return Response(ApplicationOut(application).data)


class ApplicationWithdrawView(PartnerApplicationAPIView):
    write_role = Role.LEAD

    @extend_schema(request=None, responses=ApplicationOut)
    def post(self, request, partner_slug, code):
        application = services.application_withdraw(partner=self.partner, actor=request.user, application=self.get_object())
        return Response(ApplicationOut(application).data)


class ApplicationRevisionListView(PartnerApplicationAPIView):
    serializer_class = RevisionOut

    @extend_schema(responses=RevisionOut(many=True))
    def get(self, request, partner_slug, code):
        application = self.get_object()
        return self.paginated(selectors.revision_list(partner=self.partner, application=application), RevisionOut)


class ApplicationRevisionCompareView(PartnerApplicationAPIView):
    serializer_class = ComparisonOut

    @extend_schema(parameters=COMPARE_PARAMETERS, responses=ComparisonOut)
    def get(self, request, partner_slug, code):
        application = self.get_object()
        revisions = list(selectors.revision_list(partner=self.partner, application=application))
        return Response(ComparisonOut(_comparison(revisions, request.query_params)).data)


# --- the practice team's views ---------------------------------------------------------------------


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


class PracticeCohortAPIView(PracticeAPIView):
    serializer_class = CohortOut
    lookup_field = "slug"
    lookup_url_kwarg = "slug"

    def scoped_queryset(self):
        return selectors.cohort_list()


class PracticeCohortDetailView(PracticeCohortAPIView):
    def get(self, request, slug):
        return Response(CohortOut(self.get_object()).data)

    @extend_schema(request=CohortUpdateIn, responses=CohortOut)
    def patch(self, request, slug):
        """Change a draft or open cohort's details (practice admins)."""
        cohort = self.get_object()
        if request.user.practice_role != "practice_admin":
            raise PermissionDenied("Only a practice admin can change a cohort.")
        data = CohortUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        cohort = services.cohort_update(actor=request.user, cohort=cohort, **data.validated_data)
        return Response(CohortOut(cohort).data)


class PracticeCohortTransitionView(PracticeCohortAPIView):
    practice_roles = ADMINS

    @extend_schema(
        parameters=[StageMoveQuery],
        responses={200: StageMoveOut, 400: StageMoveRefusedOut},
    )
    def get(self, request, slug):
        """What moving the cohort to ``to`` would do now, without moving it: the list its confirmation
        page shows (deadline not reached, drafts, unscreened applications, reviews outstanding), who
        is told, or why the move may not happen now."""
        cohort = self.get_object()
        query = StageMoveQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(StageMoveOut(stage_selectors.stage_move_preview(cohort=cohort, to=query.validated_data["to"])).data)

    @extend_schema(request=CohortTransitionIn, responses={200: CohortOut, 400: StageMoveRefusedOut})
    def post(self, request, slug):
        """Move the cohort to another stage (draft → open → reviewing → decided → active → closed;
        reviewing → open while no review is submitted). A move with consequences (GET lists them)
        needs ``confirm: true``; without it nothing moves and the 400 answer lists them
        (``confirm``, ``consequences``, ``notices``)."""
        cohort = self.get_object()
        data = CohortTransitionIn(data=request.data)
        data.is_valid(raise_exception=True)
        cohort = services.cohort_transition(actor=request.user, cohort=cohort, **data.validated_data)
        return Response(CohortOut(cohort).data)


class PracticeApplicationAPIView(PracticeAPIView):
    """One application: refused (403, saying why) to someone who declared a conflict of interest
    with it, for reading and for acting alike."""

    serializer_class = PracticeApplicationOut
    practice_roles = ADMINS_AND_ANALYSTS  # reviewers see only their assignments

    def scoped_queryset(self):
        return selectors.application_list_for_practice(include_drafts=True)

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        review_services.require_no_conflict(actor=request.user, application=obj)


class PracticeApplicationListView(PracticeApplicationAPIView):
    def scoped_queryset(self):
        """Every application but those the caller declared a conflict of interest with."""
        conflicted = review_selectors.conflicted_application_ids(user=self.request.user)
        return selectors.application_list_for_practice(include_drafts=True).exclude(pk__in=conflicted)

    @extend_schema(
        responses=PracticeApplicationOut(many=True),
        description="Every application, but not those you declared a conflict of interest with.",
    )
    def get(self, request):
        return self.paginated(self.get_queryset(), PracticeApplicationOut)


class PracticeApplicationDetailView(PracticeApplicationAPIView):
    serializer_class = PracticeApplicationDetailOut

    @extend_schema(responses=PracticeApplicationDetailOut)
    def get(self, request, code):
        return Response(PracticeApplicationDetailOut(self.get_object()).data)


class PracticeApplicationActionView(PracticeApplicationAPIView):
    """A practice admin's action on an application: ``input`` in, the application out."""

    practice_roles = ADMINS
    input: type[serializers.Serializer]

    def act(self, application, data):
        raise NotImplementedError

    def post(self, request, code):
        application = self.get_object()
        data = self.input(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(PracticeApplicationOut(self.act(application, data.validated_data)).data)


class PracticeApplicationScreenView(PracticeApplicationActionView):
    input = ScreeningIn

    @extend_schema(request=ScreeningIn, responses=PracticeApplicationOut)
    def post(self, request, code):
        return super().post(request, code)

    def act(self, application, data):
        return services.application_screen(actor=self.request.user, application=application, **data)


class PracticeApplicationRequestInformationView(PracticeApplicationActionView):
    input = InformationRequestIn

    @extend_schema(request=InformationRequestIn, responses=PracticeApplicationOut)
    def post(self, request, code):
        return super().post(request, code)

    def act(self, application, data):
        return services.application_request_information(actor=self.request.user, application=application, **data)


class PracticeApplicationExtendDeadlineView(PracticeApplicationActionView):
    input = ExtensionIn

    @extend_schema(request=ExtensionIn, responses=PracticeApplicationOut)
    def post(self, request, code):
        return super().post(request, code)

    def act(self, application, data):
        return services.application_extend_deadline(actor=self.request.user, application=application, **data)


class PracticeRevisionListView(PracticeApplicationAPIView):
    serializer_class = RevisionOut

    @extend_schema(responses=RevisionOut(many=True))
    def get(self, request, code):
        application = self.get_object()
        return self.paginated(selectors.revision_list(partner=application.partner, application=application), RevisionOut)
