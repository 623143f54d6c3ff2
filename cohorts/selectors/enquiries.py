"""Reads of 'Discuss your application' messages."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from cohorts.models import Application, CallEnquiry, Cohort
from pine.models import Partner
from pine.selectors import membership_list


def enquiry_list(*, partner: Partner, cohort: Cohort) -> QuerySet[CallEnquiry]:
    """A partner's messages about a cohort, oldest first: those its members sent signed in."""
    return CallEnquiry.objects.filter(partner=partner, cohort=cohort).select_related("author", "replied_by")


def enquiry_list_for_application(*, partner: Partner, application: Application) -> QuerySet[CallEnquiry]:
    """The messages before applying kept with ``partner``'s application, oldest first: those its
    members sent signed in, and those sent without signing in from an email address that is (now)
    one of its members' verified accounts, whatever its case. Decided here, as it is read, so a
    member who joins later brings their earlier messages with them, and nothing is copied.

    A partner's transaction may read those visitors' messages only while it has an application in
    the cohort and the address is one of its members' (the ``applicant_members_read`` policy,
    cohorts migration 0011); the filter below asks the same, and the practice team's reads it too."""
    if application.partner_id != partner.pk:
        return CallEnquiry.objects.none()
    members = (
        membership_list(partner=partner)
        .filter(user__is_active=True, user__email_verified_at__isnull=False)
        .annotate(address=Lower("user__email"))
        .values("address")
    )
    return (
        CallEnquiry.objects.filter(cohort_id=application.cohort_id)
        .annotate(address=Lower("email"))
        .filter(Q(partner=partner) | Q(partner__isnull=True, address__in=members))
        .select_related("author", "replied_by")
        .order_by("created_at", "pk")
    )


def enquiry_get_for_practice(*, code) -> CallEnquiry | None:
    return CallEnquiry.objects.filter(code=code).select_related("cohort", "partner", "author", "replied_by").first()


def enquiries_waiting() -> QuerySet[CallEnquiry]:
    """Every message not yet answered, oldest first: the practice team's work queue."""
    return CallEnquiry.objects.filter(replied_at__isnull=True).select_related("cohort", "partner").order_by("created_at", "pk")
