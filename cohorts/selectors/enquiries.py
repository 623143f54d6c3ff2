"""Reads of 'Discuss your application' messages."""

from django.db.models import QuerySet

from cohorts.models import CallEnquiry, Cohort
from pine.models import Partner


def enquiry_list(*, partner: Partner, cohort: Cohort) -> QuerySet[CallEnquiry]:
    """A partner's messages about a cohort, oldest first (shown with its application once it exists)."""
    return CallEnquiry.objects.filter(partner=partner, cohort=cohort).select_related("author", "replied_by")


def enquiry_get_for_practice(*, code) -> CallEnquiry | None:
    return CallEnquiry.objects.filter(code=code).select_related("cohort", "partner", "author", "replied_by").first()


def enquiries_waiting() -> QuerySet[CallEnquiry]:
    """Every message not yet answered, oldest first: the practice team's work queue."""
    return CallEnquiry.objects.filter(replied_at__isnull=True).select_related("cohort", "partner").order_by("created_at", "pk")
