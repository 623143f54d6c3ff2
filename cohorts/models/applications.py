"""Cohorts (rounds of the programme), partners' applications to them, and the submitted revisions
of each application.

The rules that say what may happen next live here, in one place each:

* ``COHORT_TRANSITIONS``: the stages a cohort may move to from each stage;
* ``APPLICATION_TRANSITIONS``: the same for an application;
* ``APPLICANT_STATUS``: the status an applicant sees for each internal status (internal names,
  such as "Screened: eligible", are for the practice team only);
* ``SECTIONS``: the sections of the application form, the fields each one holds, and which of
  them must be answered for the section to be complete.
"""

import uuid
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from pine.validators import validate_plausible_datetime


class Cohort(models.Model):
    """A round: a call for applications, then months of support. Owned by the practice team
    (no partner): its call is public."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for applications"
        REVIEWING = "reviewing", "Reviewing"
        DECIDED = "decided", "Decided"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    theme = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    guidance = models.TextField("Guidance for applicants", blank=True)
    eligibility = models.TextField("Who can apply", blank=True)
    multi_agency = models.BooleanField(
        "Multi-agency cohort", default=False, help_text="Applicants describe how their agencies work together."
    )
    capacity = models.PositiveSmallIntegerField(default=9)
    # Review: how many reviewers score each application, whether they see who applied, and how
    # far apart two reviewers' scores on one criterion must be to flag a disagreement.
    reviewers_per_application = models.PositiveSmallIntegerField(default=2)
    blind_review = models.BooleanField(
        "Blind review", default=False, help_text="Reviewers do not see the partner's name, agencies or places."
    )
    disagreement_threshold = models.PositiveSmallIntegerField(
        default=2, help_text="Flag an application when reviewers' scores for one criterion differ by this many points or more."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(validators=[validate_plausible_datetime])
    deadline_at = models.DateTimeField(validators=[validate_plausible_datetime])
    review_starts_at = models.DateTimeField(null=True, blank=True, validators=[validate_plausible_datetime])
    review_ends_at = models.DateTimeField(null=True, blank=True, validators=[validate_plausible_datetime])
    selection_announced_at = models.DateTimeField(null=True, blank=True, validators=[validate_plausible_datetime])
    programme_starts_at = models.DateTimeField(null=True, blank=True, validators=[validate_plausible_datetime])
    programme_ends_at = models.DateTimeField(null=True, blank=True, validators=[validate_plausible_datetime])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline_at__gt=F("opens_at")), name="cohort_deadline_after_opening"),
            models.CheckConstraint(
                condition=Q(review_starts_at__isnull=True) | Q(review_starts_at__gte=F("deadline_at")),
                name="cohort_review_after_deadline",
            ),
            models.CheckConstraint(
                condition=Q(review_ends_at__isnull=True)
                | Q(review_starts_at__isnull=True)
                | Q(review_ends_at__gt=F("review_starts_at")),
                name="cohort_review_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(programme_ends_at__isnull=True)
                | Q(programme_starts_at__isnull=True)
                | Q(programme_ends_at__gt=F("programme_starts_at")),
                name="cohort_programme_ends_after_it_starts",
            ),
        ]

    def __str__(self):
        return self.name

    def is_accepting_applications(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now < self.deadline_at

    @property
    def is_editable(self) -> bool:
        """Details can change until the call closes for applications."""
        return self.status in COHORT_EDITABLE_STAGES

    def allowed_transitions(self) -> list[str]:
        return sorted(COHORT_TRANSITIONS[self.status], key=list(self.Status.values).index)

    def date_order_errors(self) -> dict[str, str]:
        """The order the dates must be in (the database checks the same, as constraints)."""
        errors = {}
        if self.opens_at and self.deadline_at and self.deadline_at <= self.opens_at:
            errors["deadline_at"] = "The deadline must be after the call opens."
        if self.review_starts_at and self.deadline_at and self.review_starts_at < self.deadline_at:
            errors["review_starts_at"] = "The review period must start after the deadline."
        if self.review_starts_at and self.review_ends_at and self.review_ends_at <= self.review_starts_at:
            errors["review_ends_at"] = "The review period must end after it starts."
        if self.programme_starts_at and self.programme_ends_at and self.programme_ends_at <= self.programme_starts_at:
            errors["programme_ends_at"] = "The programme must end after it starts."
        return errors


# The lifecycle: which stage may follow which. Only practice admins move a cohort (services), after
# a confirmation page that lists what the move does (cohorts.selectors.stages). The one step back,
# reviewing → open, is allowed only while it undoes nothing (no review submitted, deadline ahead).
COHORT_TRANSITIONS: dict[str, frozenset[str]] = {
    Cohort.Status.DRAFT: frozenset({Cohort.Status.OPEN}),
    Cohort.Status.OPEN: frozenset({Cohort.Status.REVIEWING}),
    Cohort.Status.REVIEWING: frozenset({Cohort.Status.DECIDED, Cohort.Status.OPEN}),
    Cohort.Status.DECIDED: frozenset({Cohort.Status.ACTIVE}),
    Cohort.Status.ACTIVE: frozenset({Cohort.Status.CLOSED}),
    Cohort.Status.CLOSED: frozenset(),
}
COHORT_EDITABLE_STAGES = frozenset({Cohort.Status.DRAFT, Cohort.Status.OPEN})
# Stages in which an application reopened for more information can still be answered.
COHORT_ANSWERING_STAGES = frozenset({Cohort.Status.OPEN, Cohort.Status.REVIEWING})


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    multi_agency_only: bool = False


SECTIONS: tuple[Section, ...] = (
    Section(
        "partnership",
        "The partnership and its agencies",
        ("partnership_roles", "partnership_confirmed"),
        ("partnership_confirmed",),
    ),
    Section(
        "practice",
        "The practice and why it is promising",
        ("practice_title", "practice_summary", "practice_evidence"),
        ("practice_title", "practice_summary", "practice_evidence"),
    ),
    Section(
        "children",
        "Children and families served",
        ("children_description", "children_count"),
        ("children_description", "children_count"),
    ),
    Section("joint-working", "How the agencies work together", ("joint_working",), ("joint_working",), multi_agency_only=True),
    Section("outcomes", "Outcomes it aims to change", ("outcome_measures", "outcomes_summary"), ("outcome_measures",)),
    Section("data", "Data available and systems", ("data_available", "data_systems"), ("data_available", "data_systems")),
    Section(
        "readiness",
        "Readiness and capacity",
        ("staff_time", "analyst_available", "senior_sponsor"),
        ("staff_time", "analyst_available", "senior_sponsor"),
    ),
    Section(
        "data-protection",
        "Data protection and safeguarding",
        ("data_protection", "safeguarding"),
        ("data_protection", "safeguarding"),
    ),
)
SECTIONS_BY_SLUG = {s.slug: s for s in SECTIONS}
# Every answer an applicant gives: what a revision keeps.
ANSWER_FIELDS: tuple[str, ...] = tuple(f for s in SECTIONS for f in s.fields)


class ApplicantStatus(models.TextChoices):
    """What applicants see (pages and the partners' API). Never the internal status."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    MORE_INFORMATION_NEEDED = "more_information_needed", "More information needed"
    BEING_REVIEWED = "being_reviewed", "Being reviewed"
    SUCCESSFUL = "successful", "Successful"
    WAITING_LIST = "waiting_list", "On the waiting list"
    NOT_SUCCESSFUL = "not_successful", "Not successful"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Decision(models.TextChoices):
    """The practice team's decision on an application, pending until released."""

    ACCEPT = "accept", "Accept"
    WAITING_LIST = "waiting_list", "Waiting list"
    DECLINE = "decline", "Decline"


class Application(models.Model):
    """A partner's application to a cohort, answered section by section."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        MORE_INFORMATION = "more_information", "More information requested"
        ELIGIBLE = "eligible", "Screened: eligible"
        INELIGIBLE = "ineligible", "Screened: ineligible"
        ACCEPTED = "accepted", "Accepted"
        WAITING_LIST = "waiting_list", "Waiting list"
        DECLINED = "declined", "Not selected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class YesNo(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="applications")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    # The partnership (its agencies are shown from the partner).
    partnership_roles = models.TextField("What each agency does in the practice", blank=True)
    partnership_confirmed = models.BooleanField("The agencies listed are the partnership applying", default=False)
    # The practice.
    practice_title = models.CharField("Name of the practice", max_length=200)
    practice_summary = models.TextField("What the practice is", blank=True)
    practice_evidence = models.TextField("Why it is promising", blank=True)
    # Children and families.
    children_description = models.TextField("The children and families it serves", blank=True)
    children_count = models.PositiveIntegerField("How many children a year", null=True, blank=True)
    # Multi-agency cohorts only.
    joint_working = models.TextField("How the agencies work together", blank=True)
    # Outcomes: codes from the measure library (the outcomes app's selectors), and free text.
    outcome_measures = ArrayField(models.CharField(max_length=60), default=list, blank=True, verbose_name="Outcome measures")
    outcomes_summary = models.TextField("Other outcomes it aims to change", blank=True)
    # Data.
    data_available = models.TextField("Data available", blank=True)
    data_systems = models.TextField("Case management and data systems", blank=True)
    # Readiness and capacity.
    staff_time = models.TextField("Staff time for the evaluation", blank=True)
    analyst_available = models.CharField("An analyst can work on the evaluation", max_length=3, choices=YesNo.choices, blank=True)
    senior_sponsor = models.CharField("Senior sponsor (name and role)", max_length=200, blank=True)
    # Data protection and safeguarding.
    data_protection = models.TextField("Data protection arrangements", blank=True)
    safeguarding = models.TextField("Safeguarding arrangements", blank=True)

    # The practice team's work on it.
    deadline_extended_to = models.DateTimeField(null=True, blank=True, validators=[validate_plausible_datetime])
    deadline_extension_reason = models.TextField(blank=True)
    screening_reason = models.TextField(blank=True)
    screened_at = models.DateTimeField(null=True, blank=True)
    screened_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    information_request = models.TextField("Question for the applicant", blank=True)
    information_requested_at = models.DateTimeField(null=True, blank=True)
    # Decisions are recorded as pending and reach the applicant only when released in bulk.
    pending_decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decision_note = models.TextField("Reason for the decision (sent to the applicant)", blank=True)
    decision_recorded_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision_recorded_at = models.DateTimeField(null=True, blank=True)
    decision_released_at = models.DateTimeField(null=True, blank=True)
    # Deadline reminders sent (once per threshold).
    reminded_7_days_at = models.DateTimeField(null=True, blank=True)
    reminded_1_day_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "cohort"], name="application_one_per_partner_and_cohort"),
        ]

    def __str__(self):
        return f"{self.practice_title} ({self.partner})"

    # --- sections -------------------------------------------------------------------------------

    def sections(self) -> list[Section]:
        """The sections this application has (joint working only in a multi-agency cohort)."""
        return [s for s in SECTIONS if self.cohort.multi_agency or not s.multi_agency_only]

    def section_complete(self, section: Section) -> bool:
        return all(getattr(self, name) not in (None, "", [], False) for name in section.required)

    def incomplete_sections(self) -> list[Section]:
        return [s for s in self.sections() if not self.section_complete(s)]

    def answers(self) -> dict:
        """Every answer, as JSON-safe values (what a revision stores)."""
        return {name: getattr(self, name) for name in ANSWER_FIELDS}

    # --- what may happen now ----------------------------------------------------------------------

    @property
    def applicant_status(self) -> str:
        return APPLICANT_STATUS[self.status]

    def get_applicant_status_display(self) -> str:
        return ApplicantStatus(self.applicant_status).label

    def deadline(self):
        """The deadline for this application: the cohort's, or one it was given on or after it (the
        cohort's own deadline restores it for an application whose call was closed early)."""
        if self.deadline_extended_to and self.deadline_extended_to >= self.cohort.deadline_at:
            return self.deadline_extended_to
        return self.cohort.deadline_at

    def edit_refusal(self, now=None) -> str | None:
        """Why the applicant may not change (or submit) it now; None when they may."""
        now = now or timezone.now()
        if self.status == self.Status.MORE_INFORMATION:
            if self.cohort.status not in COHORT_ANSWERING_STAGES:
                return f"{self.cohort.name} is no longer taking answers."
            return None
        if self.status != self.Status.DRAFT:
            return "This application has been submitted: it can no longer be changed."
        # An extension outlives the call's "open" stage: the practice team may start reviewing the
        # others while this one is finished.
        extended = self.deadline_extended_to is not None and now < self.deadline_extended_to
        stages = COHORT_ANSWERING_STAGES if extended else {Cohort.Status.OPEN}
        if self.cohort.status not in stages or now < self.cohort.opens_at:
            return f"{self.cohort.name} is not open for applications."
        if now >= self.deadline():
            return f"The deadline for {self.cohort.name} has passed."
        return None

    def can_move_to(self, status: str) -> bool:
        return status in APPLICATION_TRANSITIONS[self.status]


APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    Application.Status.DRAFT: frozenset({Application.Status.SUBMITTED, Application.Status.WITHDRAWN}),
    # Decisions (accept, waiting list, decline) follow screening: cohorts.services.decisions.
    Application.Status.SUBMITTED: frozenset(
        {
            Application.Status.MORE_INFORMATION,
            Application.Status.ELIGIBLE,
            Application.Status.INELIGIBLE,
            Application.Status.WITHDRAWN,
        }
    ),
    Application.Status.MORE_INFORMATION: frozenset({Application.Status.SUBMITTED, Application.Status.WITHDRAWN}),
    Application.Status.ELIGIBLE: frozenset(
        {
            Application.Status.INELIGIBLE,
            Application.Status.MORE_INFORMATION,
            Application.Status.ACCEPTED,
            Application.Status.WAITING_LIST,
            Application.Status.DECLINED,
            Application.Status.WITHDRAWN,
        }
    ),
    Application.Status.INELIGIBLE: frozenset(
        {Application.Status.ELIGIBLE, Application.Status.DECLINED, Application.Status.WITHDRAWN}
    ),
    Application.Status.ACCEPTED: frozenset(),
    # A place may come free: the waiting list can still be accepted or declined.
    Application.Status.WAITING_LIST: frozenset(
        {Application.Status.ACCEPTED, Application.Status.DECLINED, Application.Status.WITHDRAWN}
    ),
    Application.Status.DECLINED: frozenset(),
    Application.Status.WITHDRAWN: frozenset(),
}

APPLICANT_STATUS: dict[str, str] = {
    Application.Status.DRAFT: ApplicantStatus.DRAFT,
    Application.Status.SUBMITTED: ApplicantStatus.SUBMITTED,
    Application.Status.MORE_INFORMATION: ApplicantStatus.MORE_INFORMATION_NEEDED,
    # Screening is the practice team's business until decisions are released.
    Application.Status.ELIGIBLE: ApplicantStatus.BEING_REVIEWED,
    Application.Status.INELIGIBLE: ApplicantStatus.BEING_REVIEWED,
    Application.Status.ACCEPTED: ApplicantStatus.SUCCESSFUL,
    Application.Status.WAITING_LIST: ApplicantStatus.WAITING_LIST,
    Application.Status.DECLINED: ApplicantStatus.NOT_SUCCESSFUL,
    Application.Status.WITHDRAWN: ApplicantStatus.WITHDRAWN,
}


class ApplicationRevision(models.Model):
    """One submission of an application, as it was: an immutable snapshot of every answer.
    The first submission is revision 1; each resubmission after a request for more information
    adds the next."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    answers = models.JSONField()
    in_reply_to = models.TextField("The question it answers", blank=True)
    submitted_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="application_revision_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="application_revision_number_positive"),
        ]

    def __str__(self):
        return f"{self.application} – revision {self.number}"
