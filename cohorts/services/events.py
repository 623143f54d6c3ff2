"""Writes of events for applicants (e.g. a call's webinar), their registrations, and the documents
attached to a call. Every write is audited.

* The practice admins create, change and delete events and upload and delete documents.
* Anyone may register for a future event of a published cohort, without an account. The event's
  row is locked while a place is taken, so two people racing for the last place cannot both get
  it. A confirmation email carries an iCalendar (.ics) file and a signed link to cancel. Since a
  stranger chooses the address (and the name in the email), registrations are limited per email
  address and per client address (``REGISTRATION_LIMITS``), and the email opens with our own words.
* :func:`event_reminders_send` (Celery beat, daily) reminds registered people the day before
  (the UK date), once each.
"""

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

import icalendar
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, CohortDocument, Event, EventRegistration
from cohorts.selectors.events import registration_cancel_token
from pine import notifications, ratelimit
from pine.access import require_practice_admin
from pine.audit import audit_record, audited_create, audited_update, snapshot
from pine.models import User
from pine.templatetags.govuk_format import govuk_datetime

EVENT_FIELDS = ("title", "description", "starts_at", "ends_at", "joining_details", "capacity")


def _active_count(event: Event) -> int:
    return EventRegistration.objects.filter(event=event, cancelled_at__isnull=True).count()


def _check_event(event: Event) -> None:
    if event.starts_at and event.ends_at and event.ends_at <= event.starts_at:
        raise ValidationError({"ends_at": "The event must end after it starts."})


# --- events: the practice team -------------------------------------------------------------------


@transaction.atomic
def event_create(*, actor: User, cohort: Cohort, **fields) -> Event:
    require_practice_admin(actor, "add an event")
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise ValueError(f"not event details: {sorted(unknown)}")
    event = Event(cohort=cohort, **fields)
    event.title = (event.title or "").strip()
    _check_event(event)
    return audited_create(event, actor=actor, partner=None, action="event.create")


@transaction.atomic
def event_update(*, actor: User, event: Event, **fields) -> Event:
    """Change an event. Its capacity cannot drop below the people already registered; if it moves,
    its reminders go again the day before the new date."""
    require_practice_admin(actor, "change an event")
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise ValueError(f"not event details: {sorted(unknown)}")
    event = Event.objects.select_for_update().get(pk=event.pk)
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()

    def check(event: Event) -> None:
        _check_event(event)
        registered = _active_count(event)
        if event.capacity is not None and event.capacity < registered:
            raise ValidationError(
                {"capacity": f"{registered} people are already registered: the capacity cannot be less than {registered}."}
            )

    changes = audited_update(event, fields, actor=actor, partner=None, action="event.update", validate=check)
    if "starts_at" in changes:
        EventRegistration.objects.filter(event=event, cancelled_at__isnull=True).update(reminded_at=None)
    return event


@transaction.atomic
def event_delete(*, actor: User, event: Event) -> None:
    """Delete an event and its registrations."""
    require_practice_admin(actor, "delete an event")
    event = Event.objects.select_for_update().get(pk=event.pk)
    changes = {**snapshot(event), "registrations": _active_count(event)}
    audit_record(actor=actor, partner=None, action="event.delete", obj=event, changes=changes)
    event.delete()


# --- registrations: the public -------------------------------------------------------------------


def event_url(event: Event) -> str:
    return notifications.absolute_url(reverse("cohorts:public_event", args=[event.cohort.slug, event.code]))


def cancel_url(registration: EventRegistration) -> str:
    return notifications.absolute_url(reverse("cohorts:public_event_cancel", args=[registration_cancel_token(registration)]))


def event_calendar(event: Event) -> str:
    """The event as an iCalendar file (RFC 5545): times in UTC, the joining details in the
    description, the first line of them as the location, and the event's page as its URL."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//PINE//Events for applicants//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = icalendar.Event()
    entry.add("uid", f"{event.code}@{urlsplit(notifications.absolute_url()).hostname or 'pine'}")
    entry.add("dtstamp", timezone.now().astimezone(UTC))
    entry.add("dtstart", event.starts_at.astimezone(UTC))
    entry.add("dtend", event.ends_at.astimezone(UTC))
    entry.add("summary", event.title)
    description = "\n\n".join(
        part for part in (event.description.strip(), "How to join:\n" + event.joining_details.strip(), event_url(event)) if part
    )
    entry.add("description", description)
    location = next((line.strip() for line in event.joining_details.splitlines() if line.strip()), "")
    if location:
        entry.add("location", location)
    entry.add("url", event_url(event))
    calendar.add_component(entry)
    return calendar.to_ical().decode("utf-8")


def _email_context(registration: EventRegistration) -> dict:
    """Plain text only: the email is rendered now and sent by a worker."""
    event = registration.event
    return {
        "name": registration.name,
        "organisation": registration.organisation,
        "event_title": event.title,
        "cohort_name": event.cohort.name,
        "starts": govuk_datetime(event.starts_at),
        "ends": govuk_datetime(event.ends_at),
        "joining_details": event.joining_details,
        "event_url": event_url(event),
        "cancel_url": cancel_url(registration),
    }


def registration_refusal(event: Event, *, now: datetime | None = None) -> str | None:
    """Why nobody can register for the event now (None: they can)."""
    now = now or timezone.now()
    if event.cohort.status == Cohort.Status.DRAFT:
        return "This event is not open for registration."
    if event.starts_at <= now:
        return "This event has already started: registration is closed."
    if event.capacity is not None and _active_count(event) >= event.capacity:
        return "This event is full. There are no places left."
    return None


# Each registration emails an address a stranger typed: at most this many, per address and per
# client address (the page passes it; the demo data and the practice team's own calls pass none).
REGISTRATION_LIMITS = (
    ratelimit.Limit("event_registration:email", count=5, seconds=24 * 3600),
    ratelimit.Limit("event_registration:ip", count=20, seconds=3600),
)
TOO_MANY_REGISTRATIONS = "There have been too many registrations with this email address or from your network. Try again later."


@transaction.atomic
def event_register(
    *,
    event: Event,
    name: str,
    email: str,
    organisation: str,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> EventRegistration:
    """Register someone (no account needed) and email them the details with an .ics file.

    The event's row is locked first: registrations for one event happen one at a time, so the
    capacity holds however many people press the button at once. Someone who cancelled may
    register again (their row is reused: one per email address). Each registration that would
    send an email counts against the address's and the client's limits (``REGISTRATION_LIMITS``)."""
    now = now or timezone.now()
    event = Event.objects.select_for_update().select_related("cohort").get(pk=event.pk)
    email = (email or "").strip()
    existing = EventRegistration.objects.filter(event=event, email__iexact=email).first() if email else None
    if existing is not None and existing.cancelled_at is None:
        raise ValidationError({"email": f"{email} is already registered for this event."})
    refusal = registration_refusal(event, now=now)
    if refusal:
        raise ValidationError(refusal)
    by_email, by_ip = REGISTRATION_LIMITS
    try:
        limited = ratelimit.exceeded((by_email, email), (by_ip, client_ip))
    except ratelimit.Unavailable:
        # Fail closed: without the counts nothing stops a stranger making PINE email any address,
        # and a registration can be made again in a few minutes.
        raise ValidationError(ratelimit.UNAVAILABLE, code="unavailable") from None
    if limited:
        raise ValidationError(TOO_MANY_REGISTRATIONS, code="rate_limited")
    registration = existing or EventRegistration(event=event)
    registration.name = (name or "").strip()
    registration.email = email if existing is None else existing.email
    registration.organisation = (organisation or "").strip()
    registration.registered_at = now
    registration.cancelled_at = None
    registration.reminded_at = None
    audited_create(registration, actor=None, partner=None, action="event_registration.create", changes={"event": str(event.code)})
    notifications.email_after_commit(
        to=[registration.email],
        template="event_registration",
        context=_email_context(registration),
        attachments=[("event.ics", event_calendar(event), "text/calendar")],
    )
    return registration


@transaction.atomic
def registration_cancel(*, registration: EventRegistration, now: datetime | None = None) -> EventRegistration:
    """Cancel a registration (from the signed link in its emails): frees the place. Doing it twice
    changes nothing."""
    now = now or timezone.now()
    registration = (
        EventRegistration.objects.select_for_update(of=("self",)).select_related("event__cohort").get(pk=registration.pk)
    )
    if registration.cancelled_at is not None:
        return registration
    if registration.event.ends_at <= now:
        raise ValidationError("This event has already taken place.")
    registration.cancelled_at = now
    registration.save(update_fields=["cancelled_at"])
    audit_record(
        actor=None,
        partner=None,
        action="event_registration.cancel",
        obj=registration,
        changes={"event": str(registration.event.code)},
    )
    return registration


@transaction.atomic
def event_reminders_send(*, now: datetime | None = None) -> int:
    """Remind everyone registered (and not cancelled) for an event that starts tomorrow, UK date,
    once each: the rows are claimed (``reminded_at``) in the same transaction that queues the
    emails, so a second run, or a retried task, sends nothing again. Returns how many were queued.
    Reads every partner's rows: its beat task runs it through ``jobs.across_partners``."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(tomorrow, time.min), zone)
    end = timezone.make_aware(datetime.combine(tomorrow + timedelta(days=1), time.min), zone)
    sent = 0
    due = list(
        EventRegistration.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("event__cohort")
        .filter(
            cancelled_at__isnull=True,
            reminded_at__isnull=True,
            event__starts_at__gte=start,
            event__starts_at__lt=end,
        )
        .exclude(event__cohort__status=Cohort.Status.DRAFT)
        .order_by("event_id", "id")
    )
    for registration in due:
        notifications.email_after_commit(to=[registration.email], template="event_reminder", context=_email_context(registration))
        sent += 1
    EventRegistration.objects.filter(pk__in=[r.pk for r in due]).update(reminded_at=now)
    return sent


# --- documents attached to a call ----------------------------------------------------------------

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class DocumentKind:
    label: str
    content_type: str


DOCUMENT_KINDS = {
    "pdf": DocumentKind("PDF", "application/pdf"),
    "docx": DocumentKind("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": DocumentKind("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "odt": DocumentKind("ODT", "application/vnd.oasis.opendocument.text"),
    "csv": DocumentKind("CSV", "text/csv"),
}
ALLOWED_LIST = "a PDF, DOCX, XLSX, ODT or CSV"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def _zip_names(content: bytes) -> set[str]:
    """The names in a ZIP file's directory (nothing is extracted); empty if it is not one."""
    if not content.startswith(b"PK\x03\x04"):
        return set()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return set()


def looks_like(extension: str, content: bytes) -> bool:
    """Whether the bytes are what the file's name says (its magic numbers and structure)."""
    if extension == "pdf":
        return content.startswith(b"%PDF-")
    if extension == "docx":
        return {"[Content_Types].xml", "word/document.xml"} <= _zip_names(content)
    if extension == "xlsx":
        return {"[Content_Types].xml", "xl/workbook.xml"} <= _zip_names(content)
    if extension == "odt":
        # ODF: a ZIP whose first entry is an uncompressed "mimetype" file naming the format.
        return content[30:38] == b"mimetype" and content[38:].startswith(ODT_MIMETYPE) and bool(_zip_names(content))
    if extension == "csv":
        if b"\x00" in content or content.startswith((b"PK\x03\x04", b"%PDF")):
            return False
        try:
            content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                content.decode("cp1252")
            except UnicodeDecodeError:
                return False
        return True
    return False


def clean_filename(filename: str) -> str:
    """The file's own name, without any folder, control characters or quotes."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = re.sub(r'[\x00-\x1f\x7f"<>|*?:]', "", name).strip().strip(".")
    if len(name) > 200:
        stem, _, extension = name.rpartition(".")
        name = f"{stem[: 200 - len(extension) - 1]}.{extension}"
    return name


def document_problem(filename: str, size: int, content: bytes | None = None) -> str | None:
    """Why a file cannot be attached (None: it can). ``content`` may be left out to check only
    the name and size before reading it."""
    extension = clean_filename(filename).rpartition(".")[2].lower() if "." in (filename or "") else ""
    if extension not in DOCUMENT_KINDS:
        return f"The selected file must be {ALLOWED_LIST}"
    if size == 0:
        return "The selected file is empty"
    if size > MAX_DOCUMENT_BYTES:
        return f"The selected file must be smaller than {MAX_DOCUMENT_BYTES // (1024 * 1024)}MB"
    if content is not None and not looks_like(extension, content):
        return f"The selected file is not a real {DOCUMENT_KINDS[extension].label} file: check it opens, then upload it again"
    return None


@transaction.atomic
def document_upload(*, actor: User, cohort: Cohort, title: str, filename: str, content: bytes) -> CohortDocument:
    """Attach a document to a cohort's call: PDF, DOCX, XLSX, ODT or CSV, 10MB at most. Its type
    comes from its name and is checked against its bytes; the browser's claim is not trusted."""
    require_practice_admin(actor, "attach a document")
    problem = document_problem(filename, len(content), content)
    if problem:
        raise ValidationError({"file": problem})
    name = clean_filename(filename)
    kind = DOCUMENT_KINDS[name.rpartition(".")[2].lower()]
    document = CohortDocument(
        cohort=cohort,
        title=(title or "").strip(),
        filename=name,
        content_type=kind.content_type,
        size=len(content),
        content=content,
        uploaded_by=actor,
    )
    changes = {"title": document.title, "filename": document.filename, "size": document.size}
    audited_create(document, actor=actor, partner=None, action="cohort_document.upload", changes=changes)
    return document


@transaction.atomic
def document_delete(*, actor: User, document: CohortDocument) -> None:
    require_practice_admin(actor, "delete a document")
    changes = {"title": document.title, "filename": document.filename}
    audit_record(actor=actor, partner=None, action="cohort_document.delete", obj=document, changes=changes)
    CohortDocument.objects.filter(pk=document.pk).delete()
