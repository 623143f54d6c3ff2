"""Deadline reminders: 7 days and 1 day before an application's deadline, its partner's leads and
contributors are told (in the app and by email). Celery beat runs ``cohorts.tasks.send_deadline_reminders``
daily."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Application
from cohorts.selectors.reminders import application_list_deadline_coming, days_left
from pine.notifications import notify, partner_recipients

# Which field records each reminder.
REMINDED_FIELD = {7: "reminded_7_days_at", 1: "reminded_1_day_at"}


def _claim(application: Application, days: int, now: datetime) -> bool:
    """Record that the reminder is sent, unless it already was for this deadline: atomically, so a
    rerun (or two at once) sends nothing twice. A reminder sent for an earlier deadline (before an
    extension moved it) does not count."""
    field = REMINDED_FIELD[days]
    earliest = application.deadline() - timedelta(days=days + 1)
    not_yet = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": earliest})
    return Application.objects.filter(not_yet, pk=application.pk).update(**{field: now}) == 1


@transaction.atomic
def application_deadline_reminders_send(*, now: datetime | None = None) -> int:
    """Send the reminders due now; returns how many applications were reminded. The 7-day
    reminder goes when 2 to 7 days are left, the 1-day one when 1 day or less is (so a day the
    task did not run is caught up), each once per deadline.
    Reads every partner's rows: its beat task runs it through ``jobs.across_partners``."""
    now = now or timezone.now()
    sent = 0
    contacts: dict[int, list] = {}  # a partner's recipients, read once however many applications it has
    for application in application_list_deadline_coming(now=now):
        left = days_left(application, now)
        days = 1 if left <= 1 else 7
        if not _claim(application, days, now):
            continue
        partner = application.partner
        if partner.pk not in contacts:
            contacts[partner.pk] = partner_recipients(partner=partner)
        notify(
            recipients=contacts[partner.pk],
            template="application_deadline_reminder",
            context={"application": application, "deadline": application.deadline(), "days_left": left},
            link=reverse("cohorts:application_detail", args=[partner.slug, application.code]),
            partner=partner,
        )
        sent += 1
    return sent
