"""API: the measure library, partners' local measures and their promotion into the library. (A
partner adds a local measure to one of its evaluations: ``evaluations.api``.)"""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from measures import selectors, services
from measures.models import Measure
from pine.access import ADMINS
from pine.api import PartnerAPIView, PracticeAPIView, UserAPIView


class MeasureOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    definition = serializers.CharField()
    unit = serializers.CharField()
    polarity = serializers.CharField()
    numerator = serializers.CharField()
    denominator = serializers.CharField()
    frequency = serializers.CharField()
    child_aggregation = serializers.CharField(help_text="How child-level rows add up into this measure's values.")
    source = serializers.CharField()
    source_fields = serializers.CharField()
    version = serializers.IntegerField()
    local = serializers.BooleanField(source="is_local", help_text="A partner's own measure, seen by that partner only.")


class MeasureVersionOut(serializers.Serializer):
    version = serializers.IntegerField()
    until = serializers.DateTimeField(allow_null=True, help_text="When this version was replaced (null: the current one).")
    changes = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()), help_text="[label, old, new] for each field changed."
    )


class MeasureDetailOut(MeasureOut):
    history = serializers.SerializerMethodField()

    @extend_schema_field(MeasureVersionOut(many=True))
    def get_history(self, measure):
        return MeasureVersionOut(selectors.measure_history(measure), many=True).data


class LibraryMeasureOut(MeasureDetailOut):
    promoted_from = serializers.CharField(source="promoted_from.slug", allow_null=True, default=None)
    promoted_at = serializers.DateTimeField(allow_null=True)


class LocalMeasureOut(MeasureDetailOut):
    evaluation = serializers.UUIDField(source="evaluation.code")


class PracticeLocalMeasureOut(LocalMeasureOut):
    partner = serializers.SlugField(source="partner.slug")
    partner_name = serializers.CharField(source="partner.name")


class MeasureChangeIn(serializers.Serializer):
    """Any of a measure's definition fields; those given are changed, as a new version."""

    name = serializers.CharField(max_length=200, required=False)
    definition = serializers.CharField(max_length=5000, required=False)
    unit = serializers.ChoiceField(choices=Measure.Unit.choices, required=False)
    polarity = serializers.ChoiceField(choices=Measure.Polarity.choices, required=False)
    numerator = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    denominator = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    frequency = serializers.ChoiceField(choices=Measure.Frequency.choices, required=False)
    child_aggregation = serializers.ChoiceField(choices=Measure.ChildAggregation.choices, required=False)
    source = serializers.ChoiceField(choices=Measure.Source.choices, required=False)
    source_fields = serializers.CharField(max_length=300, required=False, allow_blank=True)


class MeasureListView(UserAPIView):
    """The shared measure library."""

    serializer_class = MeasureOut

    def scoped_queryset(self):
        return selectors.measure_list()

    @extend_schema(responses=MeasureOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), MeasureOut)


class PartnerMeasureListView(PartnerAPIView):
    """Every measure this partner's files, plan and theory of change may name: the library and the
    partner's own local measures (``local`` true)."""

    serializer_class = MeasureOut

    def scoped_queryset(self):
        return selectors.local_measure_list(partner=self.partner)

    @extend_schema(responses=MeasureOut(many=True))
    def get(self, request, partner_slug):
        # The library rows have no partner, so the base's partner filter would drop them: the
        # selector filters to the library plus this partner's rows itself.
        return self.paginated(selectors.measure_list(partner=self.partner), MeasureOut)


class LocalMeasureDetailView(PartnerAPIView):
    """One of this partner's local measures, with its versions. PATCH changes it as a new version."""

    serializer_class = LocalMeasureOut

    def scoped_queryset(self):
        return selectors.local_measure_list(partner=self.partner)

    def get(self, request, partner_slug, code):
        return Response(LocalMeasureOut(self.get_object()).data)

    @extend_schema(request=MeasureChangeIn, responses=LocalMeasureOut)
    def patch(self, request, partner_slug, code):
        measure = self.get_object()
        data = MeasureChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        measure = services.measure_local_update(partner=self.partner, actor=request.user, measure=measure, **data.validated_data)
        return Response(LocalMeasureOut(measure).data)


class PracticeMeasureListView(PracticeAPIView):
    """The shared measure library, with where promoted measures came from."""

    serializer_class = LibraryMeasureOut

    def scoped_queryset(self):
        return selectors.library_measure_list()

    @extend_schema(responses=LibraryMeasureOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), LibraryMeasureOut)


class PracticeMeasureDetailView(PracticeAPIView):
    """A library measure with its versions. A practice admin may PATCH it: a new version."""

    serializer_class = LibraryMeasureOut

    def scoped_queryset(self):
        return selectors.library_measure_list()

    def get(self, request, code):
        return Response(LibraryMeasureOut(self.get_object()).data)

    @extend_schema(request=MeasureChangeIn, responses=LibraryMeasureOut)
    def patch(self, request, code):
        measure = self.get_object()
        data = MeasureChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        measure = services.measure_update(actor=request.user, measure=measure, **data.validated_data)
        return Response(LibraryMeasureOut(measure).data)


class PracticeLocalMeasureListView(PracticeAPIView):
    """Every partner's local measures."""

    serializer_class = PracticeLocalMeasureOut

    def scoped_queryset(self):
        return selectors.local_measure_list_for_practice()

    @extend_schema(responses=PracticeLocalMeasureOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), PracticeLocalMeasureOut)


class PracticePromoteView(PracticeAPIView):
    """A practice admin promotes a partner's local measure into the shared library (keeping its code)."""

    serializer_class = LibraryMeasureOut
    practice_roles = ADMINS

    def scoped_queryset(self):
        return selectors.local_measure_list_for_practice()

    @extend_schema(request=None, responses={200: LibraryMeasureOut})
    def post(self, request, partner_slug, code):
        measure = selectors.local_measure_get_for_practice(partner_slug=partner_slug, code=code)
        if measure is None:
            raise Http404
        return Response(LibraryMeasureOut(services.measure_promote(actor=request.user, measure=measure)).data)
