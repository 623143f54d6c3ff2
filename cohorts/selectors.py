"""Reads of cohorts and applications."""

from django.db.models import QuerySet
from django.utils import timezone

from cohorts.models import Application, Cohort
from pine.models import Partner


def cohort_list_open() -> QuerySet[Cohort]:
    now = timezone.now()
    return Cohort.objects.filter(status=Cohort.Status.OPEN, opens_at__lte=now, deadline_at__gt=now).order_by("deadline_at")


def cohort_list_public() -> QuerySet[Cohort]:
    """Every published cohort (not drafts), newest first."""
    return Cohort.objects.exclude(status=Cohort.Status.DRAFT)


def cohort_list() -> QuerySet[Cohort]:
    return Cohort.objects.all()


def cohort_get(*, slug: str) -> Cohort | None:
    return Cohort.objects.filter(slug=slug).first()


def cohort_get_public(*, slug: str) -> Cohort | None:
    return cohort_list_public().filter(slug=slug).first()


def application_list(*, partner: Partner) -> QuerySet[Application]:
    return Application.objects.select_related("cohort").filter(partner=partner)


def application_get(*, partner: Partner, code) -> Application | None:
    return application_list(partner=partner).filter(code=code).first()


def application_list_for_practice(*, cohort: Cohort | None = None) -> QuerySet[Application]:
    """Every partner's applications: practice scope only (RLS returns none elsewhere)."""
    qs = Application.objects.select_related("cohort", "partner").exclude(status=Application.Status.DRAFT)
    return qs if cohort is None else qs.filter(cohort=cohort)


def application_get_for_practice(*, code) -> Application | None:
    return application_list_for_practice().filter(code=code).first()
