"""'Discuss your application': messages to the practice team about an open call, before applying,
from a partner's member or from a visitor without an account, and the practice team's replies.

A visitor's message has no partner: only the practice team reads it (row-level security), and the
public page writes it without reading it back. A partner's is written in its scope and shown with
its application to the cohort once it exists (``selectors.enquiries``)."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cohorts.models import CallEnquiry, Cohort
from pine import notifications, ratelimit
from pine.access import require_practice_admin
from pine.audit import audit_record, audited_create
from pine.models import Partner, User

# Each message emails an address a stranger may have typed: at most this many, per address and per
# client address (as event registrations).
ENQUIRY_LIMITS = (
    ratelimit.Limit("call_enquiry:email", count=5, seconds=24 * 3600),
    ratelimit.Limit("call_enquiry:ip", count=20, seconds=3600),
)
TOO_MANY_ENQUIRIES = "There have been too many messages from this email address or from your network. Try again later."


def _insert_without_reading_back(enquiry: CallEnquiry) -> None:
    """A visitor's message: a plain INSERT without RETURNING (the public page may write a row it
    is not allowed to read, as ``pine.audit.audit_record`` does)."""
    fields = [f for f in CallEnquiry._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(getattr(enquiry, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {CallEnquiry._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", values)


@transaction.atomic
def enquiry_send(
    *,
    cohort: Cohort,
    body: str,
    name: str = "",
    email: str = "",
    organisation: str = "",
    partner: Partner | None = None,
    actor: User | None = None,
    client_ip: str | None = None,
) -> CallEnquiry:
    """Send a message to the practice team about an open call: as one of ``partner``'s members
    (``actor``; their name and address are used), or as a visitor giving a name and an email
    address. Counted against ``ENQUIRY_LIMITS``; the practice admins are emailed, and the sender
    gets a copy."""
    if not cohort.is_accepting_applications():
        raise ValidationError(f"{cohort.name} is not open for applications: it is not taking messages.")
    if partner is not None and actor is not None:
        name, email, organisation = actor.full_name or actor.email, actor.email, partner.name
    enquiry = CallEnquiry(
        cohort=cohort,
        partner=partner,
        author=actor if partner is not None else None,
        name=(name or "").strip(),
        email=(email or "").strip(),
        organisation=(organisation or "").strip(),
        body=(body or "").strip(),
    )
    enquiry.full_clean(exclude=["cohort", "partner", "author", "replied_by"])
    by_email, by_ip = ENQUIRY_LIMITS
    try:
        limited = ratelimit.exceeded((by_email, enquiry.email), (by_ip, client_ip))
    except ratelimit.Unavailable:
        raise ValidationError(ratelimit.UNAVAILABLE, code="unavailable") from None
    if limited:
        raise ValidationError(TOO_MANY_ENQUIRIES, code="rate_limited")
    if partner is not None:
        audited_create(enquiry, actor=actor, partner=partner, action="call_enquiry.send", changes={"cohort": str(cohort.code)})
    else:
        _insert_without_reading_back(enquiry)
        audit_record(actor=None, partner=None, action="call_enquiry.send", obj=enquiry, changes={"cohort": str(cohort.code)})
    context = {"enquiry": enquiry, "cohort": cohort}
    notifications.email_after_commit(
        to=[u.email for u in notifications.practice_admins()],
        template="enquiry_received",
        context={**context, "url": notifications.absolute_url(reverse("cohorts:practice_enquiry", args=[enquiry.code]))},
    )
    notifications.email_after_commit(to=[enquiry.email], template="enquiry_sent", context=context)
    return enquiry


@transaction.atomic
def enquiry_reply(*, actor: User, enquiry: CallEnquiry, reply: str) -> CallEnquiry:
    """The practice team's reply, emailed to the sender (and, for a partner's member, shown in the
    app too). One reply each: a second one is refused."""
    require_practice_admin(actor, "reply to a message")
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": "Enter your reply"})
    enquiry = CallEnquiry.objects.select_for_update(of=("self",)).select_related("cohort", "partner", "author").get(pk=enquiry.pk)
    if enquiry.replied_at is not None:
        raise ValidationError("This message has been answered already.")
    enquiry.reply, enquiry.replied_at, enquiry.replied_by = reply, timezone.now(), actor
    enquiry.save(update_fields=["reply", "replied_at", "replied_by"])
    audit_record(actor=actor, partner=enquiry.partner, action="call_enquiry.reply", obj=enquiry, changes={"reply": reply})
    context = {"enquiry": enquiry, "cohort": enquiry.cohort}
    if enquiry.partner is not None and enquiry.author is not None:
        notifications.notify(
            recipients=[enquiry.author],
            template="enquiry_reply",
            context=context,
            link=reverse("cohorts:partner_enquiry", args=[enquiry.partner.slug, enquiry.cohort.slug]),
            partner=enquiry.partner,
        )
    else:
        notifications.email_after_commit(to=[enquiry.email], template="enquiry_reply", context=context)
    return enquiry
