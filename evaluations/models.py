"""An accepted partner's evaluation: onboarding, milestones, meetings, its plan and theory of change."""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Evaluation(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="evaluations")
    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.PROTECT, related_name="evaluations")
    application = models.OneToOneField("cohorts.Application", on_delete=models.PROTECT, related_name="evaluation")
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    # The area's children aged 0 to 17 by year of the ONS mid-year estimate ({"2024": 61250}), entered
    # by the partner: the denominator of rates per 10,000 computed from statutory returns. A year
    # without one makes those rates "not estimable", never guessed.
    population = models.JSONField("Children aged 0 to 17 (ONS mid-year estimates)", default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


class Onboarding(models.Model):
    """The checklist an evaluation passes before data flows: the data sharing agreement (which gates
    uploads), the DPIA, ethics or governance approval where needed, and the named people."""

    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.OneToOneField(Evaluation, on_delete=models.CASCADE, related_name="onboarding")
    dsa_filename = models.CharField("Data sharing agreement file", max_length=255, blank=True)
    dsa_document = models.BinaryField(null=True, blank=True, editable=True)
    dsa_signed_on = models.DateField("Date signed", null=True, blank=True)
    dsa_expires_on = models.DateField("Expiry date", null=True, blank=True)
    dpia_completed_on = models.DateField("DPIA completed on", null=True, blank=True)
    ethics_required = models.BooleanField("Ethics or governance approval needed", null=True, blank=True)
    ethics_approved_on = models.DateField("Approved on", null=True, blank=True)
    ethics_body = models.CharField("Approved by", max_length=200, blank=True)
    data_lead_name = models.CharField("Data lead", max_length=200, blank=True)
    data_lead_email = models.EmailField("Data lead's email", blank=True)
    sponsor_name = models.CharField("Senior sponsor", max_length=200, blank=True)
    sponsor_role = models.CharField("Senior sponsor's role", max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # The practice team checks the agreement the partner recorded; a new file or new dates undo it.
    dsa_verified_at = models.DateTimeField("Agreement verified on", null=True, blank=True)
    dsa_verified_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dsa_expires_on__isnull=True)
                | models.Q(dsa_signed_on__isnull=True)
                | models.Q(dsa_expires_on__gt=models.F("dsa_signed_on")),
                name="onboarding_dsa_expires_after_signing",
            )
        ]

    def __str__(self):
        return f"Onboarding of {self.evaluation}"

    def dsa_in_force(self, today) -> bool:
        """Recorded, signed by ``today`` and not yet expired."""
        return bool(
            self.dsa_filename and self.dsa_signed_on and self.dsa_expires_on and self.dsa_signed_on <= today < self.dsa_expires_on
        )

    def dsa_ready(self, today) -> bool:
        """Data may flow: the agreement is in force and the practice team has verified it."""
        return self.dsa_in_force(today) and self.dsa_verified_at is not None

    @property
    def dsa_recorded(self) -> bool:
        """The partner has recorded an agreement: its file and dates."""
        return bool(self.dsa_filename and self.dsa_signed_on and self.dsa_expires_on)

    @property
    def dsa_waiting_for_verification(self) -> bool:
        return self.dsa_recorded and self.dsa_verified_at is None

    def checklist(self, today) -> list[tuple[str, bool]]:
        """(item, done) in the order the page shows them."""
        return [(item, status == "done") for item, status in self.checklist_statuses(today)]

    def checklist_statuses(self, today) -> list[tuple[str, str]]:
        """(item, "done" | "waiting" | "incomplete") in the order the page shows them: "waiting"
        is an agreement recorded but not yet verified by the practice team."""
        statuses = []
        for item, done in self._checklist(today):
            waiting = item == self.AGREEMENT and not done and self.dsa_waiting_for_verification
            statuses.append((item, "done" if done else "waiting" if waiting else "incomplete"))
        return statuses

    AGREEMENT = "Data sharing agreement"

    def _checklist(self, today) -> list[tuple[str, bool]]:
        return [
            (self.AGREEMENT, self.dsa_ready(today)),
            ("Data protection impact assessment", self.dpia_completed_on is not None),
            (
                "Ethics or governance approval",
                self.ethics_required is False or (self.ethics_required is True and self.ethics_approved_on is not None),
            ),
            ("Named data lead and senior sponsor", bool(self.data_lead_name and self.data_lead_email and self.sponsor_name)),
        ]


class Milestone(models.Model):
    class Kind(models.TextChoices):
        TOC_WORKSHOP = "toc_workshop", "Theory of change workshop"
        PLAN_SIGN_OFF = "plan_sign_off", "Evaluation plan signed off"
        BASELINE_DATA = "baseline_data", "Baseline data"
        INTERIM_DATA = "interim_data", "Interim data"
        ANALYSIS = "analysis", "Analysis"
        DRAFT_REPORT = "draft_report", "Draft report"
        FINAL_REPORT = "final_report", "Final report"
        PUBLICATION = "publication", "Publication"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    owner = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    completed_on = models.DateField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True, help_text="When the last overdue reminder went out.")

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "kind"], name="milestone_one_of_each_kind")]

    def __str__(self):
        return self.get_kind_display()

    def is_overdue(self, today) -> bool:
        return self.status != self.Status.DONE and self.due_on < today


class Meeting(models.Model):
    """A meeting of the partner with the practice team, with its notes and actions."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField()
    attendees = models.TextField()
    notes = models.TextField(blank=True)
    actions = models.TextField(blank=True)
    logged_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"Meeting on {self.held_on}"


# What a plan expects of each of its measures.
PLAN_DIRECTIONS = {"increase": "Expect an increase", "decrease": "Expect a decrease", "no_change": "Expect no change"}
# A primary measure answers the evaluation's question; a secondary one is reported as exploratory.
PLAN_ROLES = {"primary": "Primary", "secondary": "Secondary (exploratory)"}
INTERVENTION_ROWS = {"intervention": "The intervention group's rows", "all": "The rows for all children"}
COMPARISON_ROWS = {"comparison": "The comparison group's rows", "": "No comparison"}
DEFAULT_HORIZON_DAYS = 365  # time to event: the difference in the percentage with the event by a year
MAX_HORIZON_DAYS = 3650


class EvaluationPlan(models.Model):
    """One version of an evaluation plan. The practice team's sign-off locks a version; a later
    change starts a new version, with its reason, from the last one."""

    class Design(models.TextChoices):
        PRE_POST = "pre_post", "Before and after (pre/post)"
        ITS = "its", "Interrupted time series"
        DID = "did", "Comparison group (difference-in-differences)"
        SPC = "spc", "Statistical process control"
        RCT = "rct", "Randomised trial"
        TIME_TO_EVENT = "time_to_event", "Time to event (Kaplan–Meier, child-level rows)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Awaiting sign-off"
        SIGNED_OFF = "signed_off", "Signed off"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    change_reason = models.TextField(blank=True)
    research_questions = models.TextField(blank=True)
    design = models.CharField(max_length=20, choices=Design.choices, blank=True)
    intervention_start = models.DateField(null=True, blank=True)
    baseline_start = models.DateField(null=True, blank=True)
    baseline_end = models.DateField(null=True, blank=True)
    follow_up_start = models.DateField(null=True, blank=True)
    follow_up_end = models.DateField(null=True, blank=True)
    comparison_group = models.TextField(blank=True)
    comparison_how_chosen = models.TextField(blank=True)
    # No child is in both groups, so "all" is at least intervention + comparison (checked on upload).
    groups_exclusive = models.BooleanField(default=False)
    # Which rows of the outcome data are the intervention's and which the comparison's (the outcome
    # groups "intervention", "comparison" and "all"): an evaluation of a whole-service change has
    # only "all"; a comparison design compares two of them.
    intervention_rows = models.CharField(max_length=20, choices=INTERVENTION_ROWS.items(), default="intervention")
    comparison_rows = models.CharField(max_length=20, choices=COMPARISON_ROWS.items(), blank=True, default="comparison")
    # [{"code": "re_referrals_12m", "direction": "decrease", "role": "primary"}, ...]
    measures = models.JSONField(default=list, blank=True)
    expected_children_per_period = models.PositiveIntegerField(null=True, blank=True)
    # Time to event: the estimate is the difference in the percentage who had the event by this many
    # days after their start date (Kaplan-Meier); other designs do not read it.
    horizon_days = models.PositiveSmallIntegerField(
        default=DEFAULT_HORIZON_DAYS, validators=[MinValueValidator(1), MaxValueValidator(MAX_HORIZON_DAYS)]
    )
    created_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    signed_off_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_off_at = models.DateTimeField(null=True, blank=True)

    # The fields a version holds, with their labels, in the order pages and comparisons show them.
    CONTENT_LABELS = {
        "research_questions": "Research questions",
        "design": "Design",
        "intervention_start": "Intervention start date",
        "baseline_start": "Baseline period starts",
        "baseline_end": "Baseline period ends",
        "follow_up_start": "Follow-up period starts",
        "follow_up_end": "Follow-up period ends",
        "comparison_group": "Comparison group",
        "comparison_how_chosen": "How the comparison group was chosen",
        "groups_exclusive": "No child is in both the intervention and the comparison group",
        "intervention_rows": "The intervention's data",
        "comparison_rows": "The comparison's data",
        "measures": "Measures, their role and expected change",
        "expected_children_per_period": "Expected children per period",
        "horizon_days": "Time to event: horizon in days",
    }
    CONTENT_FIELDS = list(CONTENT_LABELS)

    class Meta:
        ordering = ["evaluation", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "version"], name="plan_one_row_per_version"),
            models.UniqueConstraint(
                fields=["evaluation"], condition=models.Q(status__in=["draft", "submitted"]), name="plan_at_most_one_draft"
            ),
            models.CheckConstraint(
                condition=models.Q(baseline_end__isnull=True)
                | models.Q(baseline_start__isnull=True)
                | models.Q(baseline_end__gte=models.F("baseline_start")),
                name="plan_baseline_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(follow_up_end__isnull=True)
                | models.Q(follow_up_start__isnull=True)
                | models.Q(follow_up_end__gte=models.F("follow_up_start")),
                name="plan_follow_up_in_order",
            ),
        ]

    def __str__(self):
        return f"Plan v{self.version} of {self.evaluation}"

    def missing_for_sign_off(self) -> list[str]:
        """What a plan needs before the practice team can sign it off."""
        missing = []
        if not self.research_questions.strip():
            missing.append("research questions")
        if not self.design:
            missing.append("a design")
        if not self.intervention_start:
            missing.append("the intervention start date")
        if not (self.baseline_start and self.baseline_end and self.follow_up_start and self.follow_up_end):
            missing.append("baseline and follow-up periods")
        if not self.measures:
            missing.append("at least one measure with its expected direction")
        elif not self.primary_measures():
            missing.append("a primary measure")
        if self.design == self.Design.TIME_TO_EVENT:
            missing += self._missing_for_time_to_event()
        if self.design in (self.Design.DID, self.Design.RCT, self.Design.TIME_TO_EVENT):
            if not self.comparison_group.strip():
                missing.append("the comparison group and how it was chosen")
            if not self.comparison_rows:
                missing.append("the comparison's data (a comparison design compares the comparison group's rows)")
        return missing

    def _missing_for_time_to_event(self) -> list[str]:
        """A time-to-event analysis reads child-level rows (start and event dates): every measure of
        the plan must be one that takes them (a rate per 10,000 children is sent as aggregates only)."""
        from measures.selectors import measure_list

        codes = [m["code"] for m in self.measures]
        aggregates_only = sorted(
            measure_list(partner=self.partner)
            .filter(code__in=codes, child_aggregation="aggregates_only")
            .values_list("name", flat=True)
        )
        if aggregates_only:
            return [
                "measures that take child-level rows for a time-to-event design (not "
                + ", ".join(aggregates_only)
                + ", sent as aggregates only)"
            ]
        return []

    def measure_roles(self) -> dict[str, str]:
        """Each measure's role. A plan saved before measures had roles keeps its history as it was
        signed off: its first measure is read as the primary one, the others as secondary."""
        if self.measures and not any(m.get("role") for m in self.measures):
            return {m["code"]: "primary" if i == 0 else "secondary" for i, m in enumerate(self.measures)}
        return {m["code"]: m.get("role") or "secondary" for m in self.measures}

    def primary_measures(self) -> list[str]:
        return [code for code, role in self.measure_roles().items() if role == "primary"]


class PlanReview(models.Model):
    """One step of a plan version's review, kept as its history: the partner submits it for sign-off,
    the practice team requests changes (with its comments) or signs it off."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted for sign-off"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        SIGNED_OFF = "signed_off", "Signed off"

    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(EvaluationPlan, on_delete=models.CASCADE, related_name="reviews")
    action = models.CharField(max_length=20, choices=Action.choices)
    comments = models.TextField(blank=True)
    actor = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(action="changes_requested") | ~models.Q(comments=""), name="plan_review_changes_say_what"
            )
        ]

    def __str__(self):
        return f"{self.get_action_display()}: {self.plan}"


class TheoryOfChange(models.Model):
    """One saved version of an evaluation's theory of change (see evaluations/theory.py for the
    content). Every save is a new version; earlier ones are kept."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="theories")
    version = models.PositiveSmallIntegerField()
    content = models.JSONField(default=dict)
    created_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["evaluation", "-version"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "version"], name="theory_one_row_per_version")]

    def __str__(self):
        return f"Theory of change v{self.version} of {self.evaluation}"
