"""API: outcome data uploads."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from evaluations import selectors as evaluation_selectors
from outcomes import selectors, services
from pine.api import PartnerAPIView, UserAPIView


class ProblemOut(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    value = serializers.CharField()
    reason = serializers.CharField()


class SubmissionOut(serializers.Serializer):
    code = serializers.UUIDField()
    evaluation = serializers.UUIDField(source="evaluation.code")
    filename = serializers.CharField()
    status = serializers.CharField()
    row_count = serializers.IntegerField()
    errors = ProblemOut(many=True)
    created_at = serializers.DateTimeField()


class SubmissionIn(serializers.Serializer):
    file = serializers.FileField(help_text="A CSV file in the outcome data format (see the README).")


class MeasureOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    definition = serializers.CharField()
    unit = serializers.CharField()
    polarity = serializers.CharField()


class MeasureListView(UserAPIView):
    serializer_class = MeasureOut

    def scoped_queryset(self):
        return selectors.measure_list()

    @extend_schema(responses=MeasureOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), MeasureOut)


class SubmissionListView(PartnerAPIView):
    """Uploads to one evaluation. POST a CSV file as multipart/form-data field ``file``."""

    serializer_class = SubmissionOut
    parser_classes = [MultiPartParser]

    def scoped_queryset(self):
        return selectors.submission_list(partner=self.partner).select_related("evaluation")

    def _evaluation(self, code):
        evaluation = evaluation_selectors.evaluation_get(partner=self.partner, code=code)
        if evaluation is None:
            raise Http404
        return evaluation

    @extend_schema(responses=SubmissionOut(many=True))
    def get(self, request, partner_slug, code):
        return self.paginated(self.get_queryset().filter(evaluation=self._evaluation(code)), SubmissionOut)

    @extend_schema(request=SubmissionIn, responses={201: SubmissionOut})
    def post(self, request, partner_slug, code):
        evaluation = self._evaluation(code)
        data = SubmissionIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        submission = services.submission_upload(
            partner=self.partner, actor=request.user, evaluation=evaluation, filename=upload.name, content=upload.read()
        )
        return Response(SubmissionOut(submission).data, status=status.HTTP_201_CREATED)


class SubmissionDetailView(PartnerAPIView):
    serializer_class = SubmissionOut

    def scoped_queryset(self):
        return selectors.submission_list(partner=self.partner).select_related("evaluation")

    def get(self, request, partner_slug, code):
        return Response(SubmissionOut(self.get_object()).data)
