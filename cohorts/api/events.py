"""API: events for applicants.

* ``/api/v1/cohorts/<slug>/events/``: a published cohort's events, for any signed-in user (like
  the open cohorts list); never the joining details, which go only to people who register.
* ``/api/v1/practice/cohorts/<slug>/events/``: the practice team's list (with joining details and
  counts); practice admins add events with POST.
* ``/api/v1/practice/cohorts/<slug>/events/<code>/registrations/``: who registered.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from cohorts.selectors import applications as cohort_selectors
from cohorts.selectors import events as selectors
from cohorts.services import events as services
from pine.access import ADMINS_AND_ANALYSTS
from pine.api import PracticeAPIView, UserAPIView
from pine.validators import validate_plausible_datetime


class EventOut(serializers.Serializer):
    code = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(allow_null=True, help_text="Null: no limit.")
    places_left = serializers.SerializerMethodField(help_text="Null: no limit.")
    url = serializers.SerializerMethodField(help_text="The event's page, where people register.")

    def get_places_left(self, event) -> int | None:
        return selectors.places_left(event)

    def get_url(self, event) -> str:
        return services.event_url(event)


class PracticeEventOut(EventOut):
    joining_details = serializers.CharField()
    registered_count = serializers.IntegerField(help_text="People registered (not cancelled).")


class EventIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    starts_at = serializers.DateTimeField(validators=[validate_plausible_datetime])
    ends_at = serializers.DateTimeField(validators=[validate_plausible_datetime])
    joining_details = serializers.CharField()
    capacity = serializers.IntegerField(min_value=1, max_value=100_000, required=False, allow_null=True, default=None)

    def validate(self, data):
        if data["ends_at"] <= data["starts_at"]:
            raise serializers.ValidationError({"ends_at": ["The event must end after it starts."]})
        return data


class RegistrationOut(serializers.Serializer):
    code = serializers.UUIDField()
    name = serializers.CharField()
    email = serializers.EmailField()
    organisation = serializers.CharField()
    registered_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True)


class CohortEventListView(UserAPIView):
    """A published cohort's events still to come (a draft's: not found)."""

    serializer_class = EventOut

    def scoped_queryset(self):
        cohort = cohort_selectors.cohort_get_public(slug=self.kwargs["slug"])
        if cohort is None:
            raise NotFound()
        return selectors.event_list_public(cohort=cohort, upcoming_only=True)

    @extend_schema(responses=EventOut(many=True))
    def get(self, request, slug):
        return self.paginated(self.get_queryset(), EventOut)


class PracticeEventAPIView(PracticeAPIView):
    serializer_class = PracticeEventOut
    practice_roles = ADMINS_AND_ANALYSTS  # registrations are people's details: not for reviewers

    def _cohort(self):
        cohort = cohort_selectors.cohort_get(slug=self.kwargs["slug"])
        if cohort is None:
            raise NotFound()
        return cohort

    def scoped_queryset(self):
        return selectors.event_list(cohort=self._cohort())


class PracticeEventListView(PracticeEventAPIView):
    @extend_schema(responses=PracticeEventOut(many=True))
    def get(self, request, slug):
        return self.paginated(self.get_queryset(), PracticeEventOut)

    @extend_schema(request=EventIn, responses={201: PracticeEventOut})
    def post(self, request, slug):
        """Add an event (practice admins)."""
        cohort = self._cohort()
        if request.user.practice_role != "practice_admin":
            raise PermissionDenied("Only a practice admin can add an event.")
        data = EventIn(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.event_create(actor=request.user, cohort=cohort, **data.validated_data)
        return Response(
            PracticeEventOut(selectors.event_get(cohort=cohort, code=event.code)).data, status=status.HTTP_201_CREATED
        )


class PracticeEventRegistrationListView(PracticeEventAPIView):
    serializer_class = RegistrationOut

    @extend_schema(responses=RegistrationOut(many=True))
    def get(self, request, slug, code):
        return self.paginated(selectors.registration_list(event=self.get_object()), RegistrationOut)
