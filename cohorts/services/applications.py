"""Writes of cohorts, applications and their revisions. Every write is audited.

The rules of what may happen next are in ``cohorts.models`` (``COHORT_TRANSITIONS``,
``APPLICATION_TRANSITIONS``, ``Application.edit_refusal``); these functions apply them.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cohorts.models import (
    ANSWER_FIELDS,
    Application,
    ApplicationMessage,
    ApplicationRevision,
    Cohort,
    ReviewAssignment,
    SupportLetter,
)
from cohorts.selectors import stages as stage_selectors
from cohorts.services import events as event_services
from measures import selectors as measure_selectors
from pine.access import require_practice_admin
from pine.audit import audit_record, audited_create, audited_update
from pine.models import Partner, User
from pine.notifications import notify, partner_recipients, practice_admins
from pine.slugs import unique_slug


def _check_cohort_dates(cohort: Cohort) -> None:
    errors = cohort.date_order_errors()
    if errors:
        raise ValidationError(errors)


# --- cohorts ---------------------------------------------------------------------------------------

COHORT_DETAILS = (
    "name",
    "theme",
    "description",
    "guidance",
    "eligibility",
    "multi_agency",
    "capacity",
    "reviewers_per_application",
    "blind_review",
    "disagreement_threshold",
    "opens_at",
    "deadline_at",
    "review_starts_at",
    "review_ends_at",
    "selection_announced_at",
    "programme_starts_at",
    "programme_ends_at",
)


@transaction.atomic
def cohort_create(
    *,
    actor: User,
    name: str,
    opens_at: datetime,
    deadline_at: datetime,
    publish: bool = False,
    **details,
) -> Cohort:
    require_practice_admin(actor, "create a cohort")
    unknown = set(details) - set(COHORT_DETAILS)
    if unknown:
        raise ValueError(f"not cohort details: {sorted(unknown)}")
    cohort = Cohort(
        name=name.strip(),
        slug=unique_slug(Cohort, name, fallback="cohort"),
        opens_at=opens_at,
        deadline_at=deadline_at,
        status=Cohort.Status.OPEN if publish else Cohort.Status.DRAFT,
        **details,
    )
    _check_cohort_dates(cohort)
    return audited_create(cohort, actor=actor, partner=None, action="cohort.create")


# What can still change while the cohort is being reviewed (the auto-assignment asks the admin to
# lower the number of reviewers when there are too few).
REVIEW_SETTINGS = frozenset({"reviewers_per_application", "blind_review", "disagreement_threshold"})


def review_settings_editable(cohort: Cohort) -> bool:
    return cohort.is_editable or cohort.status == Cohort.Status.REVIEWING


@transaction.atomic
def cohort_update(*, actor: User, cohort: Cohort, **fields) -> Cohort:
    """Change a cohort's details: only while it is a draft or open (its stage moves only by
    ``cohort_transition``); its review settings also while it is being reviewed. Blind review
    cannot be switched once a reviewer has opened an application (they have seen who applied, or
    were promised they would not)."""
    require_practice_admin(actor, "change a cohort")
    unknown = set(fields) - set(COHORT_DETAILS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    if not cohort.is_editable and not (review_settings_editable(cohort) and set(fields) <= REVIEW_SETTINGS):
        raise ValidationError(f"{cohort.name} is {cohort.get_status_display().lower()}: its details can no longer change.")
    if "blind_review" in fields and fields["blind_review"] != cohort.blind_review:
        opened = ReviewAssignment.objects.filter(application__cohort=cohort, conflict=ReviewAssignment.Conflict.NONE)
        if opened.exists():
            raise ValidationError(
                {"blind_review": "Reviewers have already opened applications: blind review can no longer be switched."}
            )
    audited_update(cohort, fields, actor=actor, partner=None, action="cohort.update", validate=_check_cohort_dates)
    return cohort


@transaction.atomic
def cohort_transition(*, actor: User, cohort: Cohort, to: str, confirm: bool = False, now: datetime | None = None) -> Cohort:
    """Move a cohort to another stage, as ``COHORT_TRANSITIONS`` allows and
    ``stage_selectors.stage_move_refusal`` permits now (the step back from reviewing to open only
    before any review is submitted and before the deadline), and tell the applicants it affects.

    A move with consequences (``stage_selectors.stage_move_preview``: the list the confirmation page
    shows) needs ``confirm``: without it, nothing moves and the error carries the list
    (``confirm``, ``consequences``, ``notices``). The page's confirmation button confirms."""
    require_practice_admin(actor, "move a cohort to another stage")
    now = now or timezone.now()
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    if to not in Cohort.Status.values:
        raise ValidationError({"to": f"Choose one of: {', '.join(Cohort.Status.values)}."})
    move = stage_selectors.stage_move_preview(cohort=cohort, to=to, now=now)
    if move.refusal:
        raise ValidationError({"to": move.refusal})
    if move.consequences and not confirm:
        raise ValidationError(
            {
                "confirm": f"Confirm the move to {move.label}: send confirm with the consequences below in mind.",
                "consequences": move.consequences,
                "notices": move.notices,
            }
        )
    return _move(cohort, to, actor=actor, now=now)


def _move(cohort: Cohort, to: str, *, actor: User | None, now: datetime) -> Cohort:
    """Change the stage (the caller holds the cohort's row lock), record it, and send the notices."""
    before = cohort.status
    cohort.status = to
    cohort.full_clean()
    cohort.save(update_fields=["status"])
    audit_record(actor=actor, partner=None, action="cohort.transition", obj=cohort, changes={"status": [before, to]})
    if before == Cohort.Status.OPEN and to == Cohort.Status.REVIEWING:
        _notify_drafts(cohort, template="call_closed", now=now, early=now < cohort.deadline_at)
    elif before == Cohort.Status.REVIEWING and to == Cohort.Status.OPEN:
        _notify_drafts(cohort, template="call_reopened", now=now, early=False)
    return cohort


def _notify_drafts(cohort: Cohort, *, template: str, now: datetime, early: bool) -> int:
    """Tell the partner of each draft application in the cohort what the stage change means for it:
    a closed call (drafts that can no longer be submitted: an extension keeps one open) or a
    reopened one. Returns how many partners were told."""
    drafts = Application.objects.filter(cohort=cohort, status=Application.Status.DRAFT).select_related("partner", "cohort")
    told = 0
    for application in drafts:
        if template == "call_closed" and application.edit_refusal(now) is None:
            continue  # an extension keeps it open: nothing changes for this partner
        notify(
            recipients=partner_recipients(partner=application.partner),
            template=template,
            context={"application": application, "cohort": cohort, "early": early, "closed_at": now},
            link=reverse("cohorts:application_detail", args=[application.partner.slug, application.code]),
            partner=application.partner,
        )
        told += 1
    return told


@transaction.atomic
def cohorts_close_at_deadline(*, now: datetime | None = None) -> int:
    """Close every open call whose deadline has passed (move it to reviewing) and tell the partners
    with drafts. Celery beat runs it often (``cohorts.tasks.close_calls_at_deadline``); a call
    already closed, by a person or an earlier run, is not touched again. Returns how many closed.
    Reads every partner's drafts: its task runs it through ``jobs.across_partners``."""
    now = now or timezone.now()
    due = Cohort.objects.select_for_update(skip_locked=True).filter(status=Cohort.Status.OPEN, deadline_at__lte=now)
    closed = 0
    for cohort in due:
        _move(cohort, Cohort.Status.REVIEWING, actor=None, now=now)
        closed += 1
    return closed


# --- applications: the applicant's side ------------------------------------------------------------

APPLICANT_FIELDS = frozenset(ANSWER_FIELDS)


def _clean_answers(fields: dict) -> dict:
    unknown = set(fields) - APPLICANT_FIELDS
    if unknown:
        raise ValueError(f"not application answers: {sorted(unknown)}")
    fields = dict(fields)
    if "practice_title" in fields:
        fields["practice_title"] = (fields["practice_title"] or "").strip()
    if "outcome_measures" in fields:
        codes = list(dict.fromkeys(fields["outcome_measures"] or []))
        known = set(measure_selectors.measure_list().filter(code__in=codes).values_list("code", flat=True))
        unknown_codes = [c for c in codes if c not in known]
        if unknown_codes:
            raise ValidationError({"outcome_measures": f"Not in the measure library: {', '.join(unknown_codes)}."})
        fields["outcome_measures"] = codes
    return fields


@transaction.atomic
def application_create(*, partner: Partner, actor: User, cohort: Cohort, practice_title: str, **answers) -> Application:
    """Start an application (a draft) with the practice's name; answer the sections later. A
    partner whose registration the practice team has not confirmed cannot (``Partner.apply_refusal``)."""
    if partner.apply_refusal:
        raise ValidationError(partner.apply_refusal)
    if not cohort.is_accepting_applications():
        raise ValidationError("This cohort is not open for applications.")
    if Application.objects.filter(partner=partner, cohort=cohort).exists():
        raise ValidationError(f"{partner.name} has already applied to {cohort.name}.")
    fields = _clean_answers({"practice_title": practice_title, **answers})
    application = Application(partner=partner, cohort=cohort, created_by=actor, **fields)
    return audited_create(application, actor=actor, partner=partner, action="application.create")


def _locked(partner: Partner, application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("cohort", "partner")
        .get(pk=application.pk, partner=partner)
    )


@transaction.atomic
def application_update(*, partner: Partner, actor: User, application: Application, **answers) -> Application:
    """Save answers (one section or several): while a draft can be changed, or while the
    practice team has asked for more information."""
    application = _locked(partner, application)
    refusal = application.edit_refusal()
    if refusal:
        raise ValidationError(refusal)
    fields = _clean_answers(answers)
    audited_update(
        application,
        {**fields, "updated_at": timezone.now()},
        actor=actor,
        partner=partner,
        action="application.update",
        quiet=("updated_at",),
    )
    return application


def submission_problems(application: Application) -> list[str]:
    """What stops it being submitted, whoever asks (the deadline aside)."""
    problems = []
    if not application.partner.is_statutory_lead:
        problems.append("The lead agency must be a statutory agency.")
    for section in application.incomplete_sections():
        problems.append(f"Complete the section “{section.title}”.")
    if not application.outcome_measures:
        problems.append("Choose at least one outcome you can measure.")
    return problems


@transaction.atomic
def application_submit(*, partner: Partner, actor: User, application: Application, answer: str = "") -> Application:
    """Submit (or resubmit, after a request for more information): stores the next revision. A
    resubmission answers the practice team's open question: with ``answer`` (kept in the
    application's thread of messages), or by the changed answers alone; the practice team is told
    a response is received."""
    application = _locked(partner, application)
    if not application.can_move_to(Application.Status.SUBMITTED):
        raise ValidationError("This application has already been submitted.")
    refusal = application.edit_refusal()
    if refusal:
        raise ValidationError(refusal)
    problems = submission_problems(application)
    if problems:
        raise ValidationError(problems)
    before = application.status
    in_reply_to = application.information_request if before == Application.Status.MORE_INFORMATION else ""
    number = application.revisions.count() + 1
    application.status = Application.Status.SUBMITTED
    application.submitted_at = timezone.now()
    application.save(update_fields=["status", "submitted_at"])
    revision = ApplicationRevision(
        partner=partner,
        application=application,
        number=number,
        answers=application.answers(),
        in_reply_to=in_reply_to,
        submitted_by=actor,
        submitted_at=application.submitted_at,
    )
    audited_create(
        revision,
        actor=actor,
        partner=partner,
        action="application.submit" if number == 1 else "application.resubmit",
        audit_obj=application,
        changes={"status": [before, application.status], "revision": number},
    )
    if before == Application.Status.MORE_INFORMATION:
        _answer_question(partner=partner, actor=actor, application=application, answer=answer, revision=number)
    notify(
        recipients=partner_recipients(partner=partner),
        template="application_submitted",
        context={"application": application, "resubmission": number > 1},
        link=reverse("cohorts:application_detail", args=[partner.slug, application.code]),
        partner=partner,
    )
    return application


def _answer_question(*, partner: Partner, actor: User, application: Application, answer: str, revision: int) -> None:
    """Record the partner's response to the open question (its answer, if written, as a message)
    and tell the practice admins a response is received."""
    question = (
        ApplicationMessage.objects.select_for_update()
        .filter(application=application, kind=ApplicationMessage.Kind.QUESTION, answered_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )
    now = application.submitted_at
    if question is not None:
        question.answered_at = now
        question.save(update_fields=["answered_at"])
    answer = (answer or "").strip()
    if answer and question is not None:
        message = ApplicationMessage(
            partner=partner,
            application=application,
            kind=ApplicationMessage.Kind.ANSWER,
            body=answer,
            author=actor,
            in_reply_to=question,
            created_at=now,
        )
        audited_create(message, actor=actor, partner=partner, action="application.answer", audit_obj=application)
    notify(
        recipients=practice_admins(),
        template="information_answered",
        context={"application": application, "answer": answer, "question": question, "revision": revision},
        link=reverse("cohorts:practice_application", args=[application.code]),
        partner=partner,
    )


@transaction.atomic
def application_withdraw(*, partner: Partner, actor: User, application: Application) -> Application:
    application = _locked(partner, application)
    if not application.can_move_to(Application.Status.WITHDRAWN):
        raise ValidationError(
            f"This application is {application.get_applicant_status_display().lower()}: it cannot be withdrawn."
        )
    before = application.status
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status"])
    audit_record(
        actor=actor,
        partner=partner,
        action="application.withdraw",
        obj=application,
        changes={"status": [before, application.status]},
    )
    return application


# --- applications: the practice team's side --------------------------------------------------------


def application_locked(application: Application) -> Application:
    """The application re-read under a row lock, for the practice team's changes to it."""
    return Application.objects.select_for_update(of=("self",)).select_related("cohort", "partner").get(pk=application.pk)


@transaction.atomic
def application_extend_deadline(*, actor: User, application: Application, until: datetime, reason: str) -> Application:
    """Give one application a deadline of its own, on or after its cohort's (the cohort's own
    deadline restores it when the call was closed early), with the reason recorded; the partner is
    told (in the app and by email)."""
    require_practice_admin(actor, "extend a deadline")
    application = application_locked(application)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for the extension."})
    if until < application.cohort.deadline_at:
        raise ValidationError({"until": "The new deadline must be on or after the cohort's deadline."})
    if until <= timezone.now():
        raise ValidationError({"until": "The new deadline must be in the future."})
    if application.status != Application.Status.DRAFT:
        raise ValidationError("Only an application that has not been submitted can have its deadline extended.")
    audited_update(
        application,
        {"deadline_extended_to": until, "deadline_extension_reason": reason},
        actor=actor,
        partner=application.partner,
        action="application.extend_deadline",
    )
    notify(
        recipients=partner_recipients(partner=application.partner),
        template="deadline_extended",
        context={"application": application, "deadline": until, "reason": reason},
        link=reverse("cohorts:application_detail", args=[application.partner.slug, application.code]),
        partner=application.partner,
    )
    return application


SCREENING = {"eligible": Application.Status.ELIGIBLE, "ineligible": Application.Status.INELIGIBLE}


@transaction.atomic
def application_screen(*, actor: User, application: Application, decision: str, reason: str) -> Application:
    """The practice team's screening decision, with its reason."""
    require_practice_admin(actor, "screen an application")
    if decision not in SCREENING:
        raise ValidationError({"decision": "Choose eligible or ineligible."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for the screening decision."})
    application = application_locked(application)
    to = SCREENING[decision]
    if not application.can_move_to(to):
        raise ValidationError(f"An application that is {application.get_status_display().lower()} cannot be screened.")
    before = application.status
    application.status, application.screening_reason = to, reason
    application.screened_at, application.screened_by = timezone.now(), actor
    application.save(update_fields=["status", "screening_reason", "screened_at", "screened_by"])
    audit_record(
        actor=actor,
        partner=application.partner,
        action=f"application.screen_{decision}",
        obj=application,
        changes={"status": [before, to], "screening_reason": reason},
    )
    return application


@transaction.atomic
def application_request_information(*, actor: User, application: Application, question: str) -> Application:
    """Ask the applicant a question: the application reopens for them until they resubmit."""
    require_practice_admin(actor, "ask for more information")
    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": "Enter your question for the applicant."})
    application = application_locked(application)
    if not application.can_move_to(Application.Status.MORE_INFORMATION):
        raise ValidationError(
            f"An application that is {application.get_status_display().lower()} cannot be reopened for more information."
        )
    if application.cohort.status not in (Cohort.Status.OPEN, Cohort.Status.REVIEWING):
        raise ValidationError(f"{application.cohort.name} is no longer taking answers.")
    before = application.status
    application.status = Application.Status.MORE_INFORMATION
    application.information_request, application.information_requested_at = question, timezone.now()
    application.save(update_fields=["status", "information_request", "information_requested_at"])
    ApplicationMessage(
        partner=application.partner,
        application=application,
        kind=ApplicationMessage.Kind.QUESTION,
        body=question,
        author=actor,
        created_at=application.information_requested_at,
    ).save()  # recorded in the audit trail below, with the change of status
    audit_record(
        actor=actor,
        partner=application.partner,
        action="application.request_information",
        obj=application,
        changes={"status": [before, application.status], "information_request": question},
    )
    notify(
        recipients=partner_recipients(partner=application.partner),
        template="information_requested",
        context={"application": application, "question": question},
        link=reverse("cohorts:application_detail", args=[application.partner.slug, application.code]),
        partner=application.partner,
    )
    return application


# --- letters of support ---------------------------------------------------------------------------

LETTER_KINDS = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
MAX_LETTER_BYTES = 10 * 1024 * 1024


def letter_problem(filename: str, content: bytes) -> str | None:
    """Why a file cannot be a letter of support (None: it can): a PDF or DOCX, checked by its
    bytes (a PDF's magic number, a DOCX's ZIP structure), 10MB at most."""
    name = event_services.clean_filename(filename)
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in LETTER_KINDS:
        return "The selected file must be a PDF or a Word document (.docx)"
    if not content:
        return "The selected file is empty"
    if len(content) > MAX_LETTER_BYTES:
        return "The selected file must be smaller than 10MB"
    if not event_services.looks_like(extension, content):
        label = "PDF" if extension == "pdf" else "Word document"
        return f"The selected file is not a real {label}: check it opens, then upload it again"
    return None


@transaction.atomic
def letter_attach(
    *, partner: Partner, actor: User, application: Application, agency_id: int, filename: str, content: bytes
) -> SupportLetter:
    """Attach (or replace) the letter of support from one of the partnership's agencies, while
    the application can still be changed."""
    application = _locked(partner, application)
    refusal = application.edit_refusal()
    if refusal:
        raise ValidationError(refusal)
    agency = partner.agencies.filter(pk=agency_id).first()
    if agency is None:
        raise ValidationError({"agency": "Choose one of your partnership's agencies"})
    problem = letter_problem(filename, content)
    if problem:
        raise ValidationError({"file": problem})
    name = event_services.clean_filename(filename)
    SupportLetter.objects.filter(partner=partner, application=application, agency=agency).delete()
    letter = SupportLetter(
        partner=partner,
        application=application,
        agency=agency,
        filename=name,
        content_type=LETTER_KINDS[name.rpartition(".")[2].lower()],
        size=len(content),
        content=content,
        uploaded_by=actor,
    )
    changes = {"agency": agency.name, "filename": name, "size": len(content)}
    audited_create(
        letter, actor=actor, partner=partner, action="application.letter_attach", changes=changes, audit_obj=application
    )
    return letter


@transaction.atomic
def letter_remove(*, partner: Partner, actor: User, application: Application, letter: SupportLetter) -> None:
    application = _locked(partner, application)
    refusal = application.edit_refusal()
    if refusal:
        raise ValidationError(refusal)
    audit_record(
        actor=actor,
        partner=partner,
        action="application.letter_remove",
        obj=application,
        changes={"agency": letter.agency.name, "filename": letter.filename},
    )
    SupportLetter.objects.filter(pk=letter.pk, partner=partner).delete()
