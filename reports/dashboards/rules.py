"""The rules a dashboard states: an evaluation's stage, its status (on track, needs attention, at
risk), its task list, the completeness of its periods and the NHS "Making Data Count" icons.

Pure functions over plain values (dates, counts, lists): no Django and no database, so each rule is
tested on its own and the page can say exactly what it applies."""

from dataclasses import dataclass, field
from datetime import date, timedelta

# --- stage -------------------------------------------------------------------------------------------

ONBOARDING, THEORY, PLAN, DATA, REPORTING = "onboarding", "theory_of_change", "plan", "data", "reporting"
STAGES = {
    ONBOARDING: "Onboarding",
    THEORY: "Theory of change",
    PLAN: "Evaluation plan",
    DATA: "Collecting data",
    REPORTING: "Reporting",
}


def stage(*, onboarded: bool, theory_saved: bool, plan_signed_off: bool, follow_up_end: date | None, today: date) -> str:
    """The first step not yet done; once the plan is signed off, collecting data until the end of the
    follow-up period, then reporting."""
    if not onboarded:
        return ONBOARDING
    if not theory_saved:
        return THEORY
    if not plan_signed_off:
        return PLAN
    if follow_up_end is None or today <= follow_up_end:
        return DATA
    return REPORTING


# --- status -----------------------------------------------------------------------------------------

ON_TRACK, NEEDS_ATTENTION, AT_RISK = "on_track", "needs_attention", "at_risk"
STATUSES = {ON_TRACK: "On track", NEEDS_ATTENTION: "Needs attention", AT_RISK: "At risk"}

# The rules, in the words the pages show (keep them in step with ``status`` below).
DATA_GRACE_DAYS = 30  # a period's data is due this many days after the period ends
LONG_OVERDUE_DAYS = 60
FAR_BEHIND_PERIODS = 3
STATUS_RULES = {
    AT_RISK: [
        f"a milestone is more than {LONG_OVERDUE_DAYS} days overdue",
        f"more than {FAR_BEHIND_PERIODS} periods of data are overdue",
        "the data sharing agreement has expired",
    ],
    NEEDS_ATTENTION: [
        "a milestone is overdue",
        "a period of data is overdue",
        "an upload is waiting for an explanation",
        "periods are waiting for the practice team's approval",
    ],
}
DATA_DUE_RULE = f"A period's data is due {DATA_GRACE_DAYS} days after the period ends."


@dataclass(frozen=True)
class Status:
    status: str
    reasons: tuple[str, ...] = ()


def status(
    *,
    today: date,
    overdue_milestones: list[date],
    periods_overdue: int,
    dsa_expired: bool,
    uploads_waiting: int,
    awaiting_approval: int,
) -> Status:
    """At risk if any at-risk rule holds, needs attention if any needs-attention rule holds, else on
    track; the reasons are every rule that holds, worst first."""
    risks, attention = [], []
    long_overdue = [due for due in overdue_milestones if (today - due).days > LONG_OVERDUE_DAYS]
    if long_overdue:
        risks.append(_count(len(long_overdue), "milestone") + f" more than {LONG_OVERDUE_DAYS} days overdue")
    elif overdue_milestones:
        attention.append(_count(len(overdue_milestones), "milestone") + " overdue")
    if periods_overdue > FAR_BEHIND_PERIODS:
        risks.append(_count(periods_overdue, "period") + " of data overdue")
    elif periods_overdue:
        attention.append(_count(periods_overdue, "period") + " of data overdue")
    if dsa_expired:
        risks.append("the data sharing agreement has expired")
    if uploads_waiting:
        attention.append(_count(uploads_waiting, "upload") + " waiting for an explanation")
    if awaiting_approval:
        attention.append(_count(awaiting_approval, "period") + " waiting for approval")
    if risks:
        return Status(AT_RISK, tuple(risks + attention))
    if attention:
        return Status(NEEDS_ATTENTION, tuple(attention))
    return Status(ON_TRACK)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# --- periods: what is due, and the completeness grid ----------------------------------------------

APPROVED, RECEIVED, QUERIED, MISSING, OUTSIDE_PLAN, NOT_DUE = (
    "approved",
    "received",
    "queried",
    "missing",
    "outside_plan",
    "not_due",
)
PERIOD_STATES = {
    APPROVED: "Approved",
    RECEIVED: "Received, not approved",
    QUERIED: "Queried",
    MISSING: "Missing",
    OUTSIDE_PLAN: "Outside the plan",
    NOT_DUE: "Not due yet",
}


def due_by(period_end: date) -> date:
    return period_end + timedelta(days=DATA_GRACE_DAYS)


def completeness(
    *,
    planned: list[tuple[date, date]],
    received: set[date],
    approved: set[date],
    queried: set[date],
    today: date,
) -> list[tuple[date, str]]:
    """(period start, state) for every planned period that has ended and every period with data,
    oldest first. Queried wins over approved and received (a query reopens the period); a period
    with data the plan does not ask for is "outside the plan"; a planned period that has ended with
    no data is "missing" once its data is due, "not due yet" before."""
    planned_ends = {start: end for start, end in planned}
    starts = {start for start, end in planned if end < today} | received
    grid = []
    for start in sorted(starts):
        if start in queried:
            state = QUERIED
        elif start in received and start not in planned_ends:
            state = OUTSIDE_PLAN
        elif start in approved:
            state = APPROVED
        elif start in received:
            state = RECEIVED
        elif due_by(planned_ends[start]) < today:
            state = MISSING
        else:
            state = NOT_DUE
        grid.append((start, state))
    return grid


def periods_overdue(planned: list[tuple[date, date]], received: set[date], today: date) -> int:
    """Planned periods whose data is due and not received."""
    return sum(1 for start, end in planned if due_by(end) < today and start not in received)


def next_due(planned: list[tuple[date, date]], received: set[date], today: date) -> tuple[date, date] | None:
    """The earliest planned period not received yet (its start and the date its data is due)."""
    for start, end in sorted(planned):
        if start not in received:
            return start, due_by(end)
    return None


# --- the partner's task list ----------------------------------------------------------------------

COMPLETED, IN_PROGRESS, NOT_STARTED, CANNOT_START = "completed", "in_progress", "not_started", "cannot_start"
TASK_STATUSES = {
    COMPLETED: "Completed",
    IN_PROGRESS: "In progress",
    NOT_STARTED: "Not yet started",
    CANNOT_START: "Cannot start yet",
}


@dataclass(frozen=True)
class Task:
    key: str
    name: str
    status: str
    hint: str = ""


@dataclass(frozen=True)
class TaskList:
    tasks: tuple[Task, ...]
    next_task: Task | None = field(default=None)


def task_list(
    *,
    onboarded: bool,
    onboarding_started: bool,
    theory_saved: bool,
    plan_status: str,  # "", "draft" or "signed_off"
    data_through: date | None,
    next_period: tuple[date, date] | None,
    follow_up_end: date | None,
    reports_done: int,
    today: date,
) -> TaskList:
    """The evaluation's steps in order, each with its status; the next thing to do is the first step
    that is not completed and can start."""
    data_done = follow_up_end is not None and today > follow_up_end and next_period is None
    steps = [
        Task("onboarding", "Onboarding", COMPLETED if onboarded else (IN_PROGRESS if onboarding_started else NOT_STARTED)),
        Task("theory", "Theory of change", COMPLETED if theory_saved else NOT_STARTED),
        Task(
            "plan",
            "Evaluation plan signed off",
            {"signed_off": COMPLETED, "draft": IN_PROGRESS}.get(plan_status, NOT_STARTED if theory_saved else CANNOT_START),
            "" if plan_status == "signed_off" else "The practice team signs off the plan.",
        ),
        Task(
            "data",
            "Outcome data",
            COMPLETED if data_done else (IN_PROGRESS if data_through else (NOT_STARTED if onboarded else CANNOT_START)),
            _data_hint(data_through, next_period, onboarded),
        ),
        Task(
            "reports",
            "Reports",
            IN_PROGRESS if reports_done else (NOT_STARTED if data_through else CANNOT_START),
            f"{_count(reports_done, 'report')} built." if reports_done else "",
        ),
    ]
    next_task = next((t for t in steps if t.status in (IN_PROGRESS, NOT_STARTED)), None)
    return TaskList(tuple(steps), next_task)


def _data_hint(data_through: date | None, next_period: tuple[date, date] | None, onboarded: bool) -> str:
    if not onboarded:
        return "Uploads open once the data sharing agreement is recorded in onboarding."
    parts = [f"Data received through {data_through:%B %Y}." if data_through else "No data received yet."]
    if next_period:
        parts.append(f"Next due: data for {next_period[0]:%B %Y}, by {next_period[1]:%-d %B %Y}.")
    return " ".join(parts)


# --- NHS "Making Data Count" icons ------------------------------------------------------------------

VARIATION_ICONS = {
    "common cause": ("common", "Common cause variation"),
    "special cause improving": ("improving", "Special cause variation: improving"),
    "special cause concerning": ("concerning", "Special cause variation: concerning"),
}
ASSURANCE_ICONS = {
    "pass": "Consistently meets the target",
    "fail": "Consistently fails the target",
    "hit_and_miss": "Hit and miss: the target lies within the limits",
    "none": "No target set",
}


def assurance(*, target: float | None, lower: float | None, upper: float | None, polarity: str) -> str:
    """As Making Data Count: with the latest limits, a target outside them on the better side is
    always met ("pass"), on the worse side never met ("fail"), inside them "hit and miss"; without a
    target (PINE's plans set none yet) there is nothing to assure against ("none")."""
    if target is None or lower is None or upper is None or polarity not in ("higher", "lower"):
        return "none"
    if lower <= target <= upper:
        return "hit_and_miss"
    target_below = target < lower
    return "pass" if target_below == (polarity == "higher") else "fail"
