"""The practice team's work queue: one page (``/practice/queue/``) and its API route, with the same
items and counts (``reports.queues``)."""

from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from pine.access import EVERY_PRACTICE_ROLE
from pine.api import PracticeAPIView
from pine.scoping import PracticeView
from reports.queues import work_queue


class PracticeQueueView(PracticeView, TemplateView):
    """What waits for the practice team's action, with counts at the top; each item links to its
    action. Reviewers see only their own reviews."""

    template_name = "reports/practice_queue.html"
    practice_roles = EVERY_PRACTICE_ROLE

    def get_context_data(self, **kwargs):
        sections = work_queue(user=self.request.user)
        return super().get_context_data(sections=sections, total=sum(s.count for s in sections), **kwargs)


class QueueItemOut(serializers.Serializer):
    partner = serializers.CharField(help_text="Empty where a blind review hides it.")
    title = serializers.CharField()
    detail = serializers.CharField()
    link = serializers.CharField(help_text="The page of the action: a path on this site.")
    action = serializers.CharField()
    since = serializers.DateField(allow_null=True, help_text="When it started waiting.")
    due = serializers.DateField(allow_null=True, help_text="Its deadline, where it has one (a review's).")
    who = serializers.CharField(help_text="The reviewer, for a review; otherwise empty.")


class QueueSectionOut(serializers.Serializer):
    key = serializers.ChoiceField(
        choices=["applications", "responses", "enquiries", "reviews", "plans", "uploads", "periods", "agreements"]
    )
    title = serializers.CharField()
    count = serializers.IntegerField()
    items = QueueItemOut(many=True)


class QueueOut(serializers.Serializer):
    total = serializers.IntegerField()
    sections = QueueSectionOut(many=True)


class PracticeQueueAPIView(PracticeAPIView):
    """The work queue: the same sections, items and counts as the page. Reviewers get only their
    own reviews."""

    serializer_class = QueueOut
    practice_roles = EVERY_PRACTICE_ROLE

    @extend_schema(responses=QueueOut)
    def get(self, request):
        sections = work_queue(user=request.user)
        return Response(QueueOut({"total": sum(s.count for s in sections), "sections": sections}).data)
