"""Notifications: emails, and the in-app list of what a user should know.

* :func:`email_after_commit` renders ``templates/email/<template>.txt`` (the body) and
  ``<template>_subject.txt`` (one line) now, and queues ``pine.tasks.send_email`` when the
  transaction commits: a rolled-back change sends nothing, and a mail server that is down is
  retried by the worker. If the broker (Redis) cannot be reached, the email is logged as not sent
  and the request carries on.
* :func:`notify` also records one :class:`~pine.models.Notification` per recipient (their in-app
  list, ``/notifications/``) and emails each of them.

Email templates are plain text: they are rendered without HTML escaping (pages escape the text
when they show a notification). Each template gets ``site`` (the site's address); ``notify`` adds
``recipient``, ``link`` (the site-relative path) and ``url`` (the same, absolute).

Recipients come from :func:`partner_recipients` (a partner's leads and contributors) and
:func:`practice_admins`. Inside a partner's scope, pass ``partner``: row-level security lets a
partner's transaction write notifications about that partner only.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from pine import selectors
from pine.models import Notification, Partner, User
from pine.tasks import send_email

logger = logging.getLogger(__name__)

SUBJECT_MAX = Notification._meta.get_field("subject").max_length

# The kinds of notification each user chooses to have emailed or not (all are listed in PINE):
# key: (label, what it covers). A notification's kind comes from its template's name.
KINDS = {
    "applications": ("Applications and decisions", "Applications received, questions about them, deadlines and decisions"),
    "reviews": ("Reviews", "Applications assigned to you to review, and conflicts of interest declared"),
    "plans": ("Evaluation plans", "Plans submitted for sign-off, changes requested and plans signed off"),
    "data": (
        "Outcome data",
        "Data sharing agreements to verify, uploads waiting for an explanation, periods approved or queried",
    ),
    "reports": ("Reports", "Reports published, made final or sent back"),
    "events": ("Events", "Registrations and reminders for webinars and other events"),
    "other": ("Everything else", "Anything not in the kinds above"),
}
KIND_BY_TEMPLATE = [  # the first prefix that matches
    (("plan_",), "plans"),
    (("period_", "submission_", "agreement_"), "data"),
    (("review_",), "reviews"),
    (("report_",), "reports"),
    (("event_",), "events"),
    (("application_", "decision_", "information_", "registration_"), "applications"),
]


def kind_of(template: str) -> str:
    """The kind of a notification made from this email template."""
    return next((kind for prefixes, kind in KIND_BY_TEMPLATE if template.startswith(prefixes)), "other")


def absolute_url(path: str = "") -> str:
    """This site's address (``SITE_URL``) followed by ``path``: links in emails and calendar files."""
    return settings.SITE_URL.rstrip("/") + path


def render_email(template: str, context: dict) -> tuple[str, str]:
    """(subject, body) of ``email/<template>``: the subject on one line, neither HTML-escaped."""
    context = {"site": absolute_url(), **context}
    engine = Engine.get_default()
    subject = engine.get_template(f"email/{template}_subject.txt").render(Context(context, autoescape=False))
    body = engine.get_template(f"email/{template}.txt").render(Context(context, autoescape=False))
    return " ".join(subject.split()), body


def _send_after_commit(*, to: list[str], subject: str, body: str, attachments) -> None:
    payload = {
        "to": list(to),
        "subject": subject,
        "body": body,
        "attachments": [[str(name), str(content), str(mimetype)] for name, content, mimetype in attachments],
    }
    if not payload["to"]:
        return

    def send() -> None:
        try:
            send_email.delay(**payload)
        except BrokerError:
            # The change is committed and the page must still answer: the email is not sent (it has
            # no row to wait on, unlike a job), and the log says which one.
            logger.error("The broker is unreachable: an email (%r, to %d) was not sent", subject, len(payload["to"]))

    transaction.on_commit(send)


def email_after_commit(*, to: list[str], template: str, context: dict, attachments: list[tuple[str, str, str]] = ()) -> None:
    """Render the email now and send it (from a Celery task) once the transaction commits."""
    subject, body = render_email(template, context)
    _send_after_commit(to=to, subject=subject, body=body, attachments=attachments)


def notify(
    *,
    recipients: Iterable[User],
    template: str,
    context: dict,
    link: str = "",
    partner: Partner | None = None,
    kind: str | None = None,
) -> list[Notification]:
    """One in-app notification per recipient (each once, active users only), and the same text
    emailed to each after commit, unless they chose not to have this ``kind`` emailed (by default
    the kind its template's name says, see ``kind_of``). ``link`` is a path on this site
    (``/p/<partner>/...``)."""
    kind = kind or kind_of(template)
    unique = {user.pk: user for user in recipients if user.is_active}
    notifications = []
    for user in unique.values():
        subject, body = render_email(template, {**context, "recipient": user, "link": link, "url": absolute_url(link)})
        notification = Notification(
            recipient=user, partner=partner, subject=_shorten(subject, SUBJECT_MAX), body=body, link=link, kind=kind
        )
        notification.full_clean(exclude=["recipient", "partner", "code"])  # rows given, not ids to look up
        notifications.append(notification)
        if kind not in (user.email_muted_kinds or []):
            _send_after_commit(to=[user.email], subject=subject, body=body, attachments=())
    Notification.objects.bulk_create(notifications)
    return notifications


def partner_recipients(*, partner: Partner) -> list[User]:
    """Who hears about a partner's applications and deadlines: its active leads and contributors."""
    return list(selectors.partner_contact_list(partner=partner))


def practice_admins() -> list[User]:
    return list(selectors.practice_admin_list())


def practice_data_team() -> list[User]:
    """Who checks partners' data: the practice team's admins and analysts."""
    return list(selectors.practice_data_team_list())


@transaction.atomic
def notification_open(*, user: User, code) -> Notification | None:
    """The user's notification with this code, marked read (None if it is not theirs)."""
    notification = selectors.notification_list(user=user).filter(code=code).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def email_preferences_update(*, user: User, emailed_kinds: Iterable[str]) -> User:
    """Which kinds of notification the user wants emailed (the others are only listed in PINE)."""
    emailed = set(emailed_kinds)
    unknown = emailed - set(KINDS)
    if unknown:
        raise ValueError(f"not notification kinds: {sorted(unknown)}")
    user.email_muted_kinds = [kind for kind in KINDS if kind not in emailed]
    user.save(update_fields=["email_muted_kinds"])
    return user


@transaction.atomic
def notification_mark_read(*, user: User, codes: Iterable | None = None) -> int:
    """Mark the user's unread notifications read (all of them, or those with these codes).
    Returns how many changed."""
    unread = selectors.notification_list(user=user).filter(read_at__isnull=True)
    if codes is not None:
        unread = unread.filter(code__in=list(codes))
    return unread.update(read_at=timezone.now())


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
