from django import forms
from django.utils import timezone

from evaluations import theory
from evaluations.models import (
    COMPARISON_ROWS,
    DEFAULT_HORIZON_DAYS,
    INTERVENTION_ROWS,
    MAX_HORIZON_DAYS,
    PLAN_DIRECTIONS,
    PLAN_ROLES,
    EvaluationPlan,
    Milestone,
)
from pine.forms import GovukDateField, GovukForm
from pine.validators import validate_document

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_TOO_LARGE = "The file must be smaller than 20 MB"


class OnboardingForm(GovukForm):
    """The whole onboarding checklist in one form (four forms lost each other's edits). Each item may
    be saved half-done; an item once started must be whole: an agreement needs its file and both
    dates, a data lead their email address."""

    SECTIONS = {
        "dsa": ("Data sharing agreement", ["document", "dsa_signed_on", "dsa_expires_on"]),
        "dpia": ("Data protection impact assessment", ["dpia_completed_on"]),
        "ethics": ("Ethics or governance approval", ["ethics_required", "ethics_approved_on", "ethics_body"]),
        "people": ("Data lead and senior sponsor", ["data_lead_name", "data_lead_email", "sponsor_name", "sponsor_role"]),
    }

    document = forms.FileField(
        label="Signed data sharing agreement", help_text="A PDF or Word (.docx) document, up to 20 MB.", required=False
    )
    dsa_signed_on = GovukDateField(label="Date signed", name="The date the agreement was signed", required=False)
    dsa_expires_on = GovukDateField(label="Expiry date", name="The expiry date", required=False)
    dpia_completed_on = GovukDateField(label="Date the DPIA was completed", name="The DPIA date", required=False)
    ethics_required = forms.TypedChoiceField(
        label="Does the evaluation need ethics or research governance approval?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    ethics_approved_on = GovukDateField(label="Date approved (if approved)", name="The approval date", required=False)
    ethics_body = forms.CharField(label="Approved by (if approved)", max_length=200, required=False)
    data_lead_name = forms.CharField(label="Data lead's name", max_length=200, required=False)
    data_lead_email = forms.EmailField(
        label="Data lead's email address", required=False,
        error_messages={"invalid": "Enter the data lead's email address like name@example.org"},
    )  # fmt: skip
    sponsor_name = forms.CharField(label="Senior sponsor's name", max_length=200, required=False)
    sponsor_role = forms.CharField(label="Senior sponsor's role", max_length=200, required=False)

    def __init__(self, *args, has_document=False, **kwargs):
        self.has_document = has_document  # before GovukForm's __init__, which already validates
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_from(cls, onboarding) -> dict:
        initial = {name: getattr(onboarding, name) for name in cls.base_fields if hasattr(onboarding, name)}
        if onboarding.ethics_required is not None:
            initial["ethics_required"] = "yes" if onboarding.ethics_required else "no"
        return initial

    def sections(self):
        """(key, title, bound fields) of each item, in the page's order."""
        return [(key, title, [self[name] for name in names]) for key, (title, names) in self.SECTIONS.items()]

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document is None:
            return None
        if document.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(DOCUMENT_TOO_LARGE)
        try:
            validate_document(document.read(), name=document.name)
        finally:
            document.seek(0)
        return document

    def clean(self):
        data = super().clean()
        signed, expires = data.get("dsa_signed_on"), data.get("dsa_expires_on")
        started = bool(data.get("document") or signed or expires or self.has_document)
        if started and "document" not in self.errors:
            if data.get("document") is None and not self.has_document:
                self.add_error("document", "Choose the signed agreement to upload")
            if signed is None and "dsa_signed_on" not in self.errors:
                self.add_error("dsa_signed_on", "Enter the date the agreement was signed")
            if expires is None and "dsa_expires_on" not in self.errors:
                self.add_error("dsa_expires_on", "Enter the date the agreement expires")
        if signed and signed > timezone.localdate() and "dsa_signed_on" not in self.errors:
            self.add_error("dsa_signed_on", "The date the agreement was signed must be today or in the past")
        if signed and expires and expires <= signed:
            self.add_error("dsa_expires_on", "The expiry date must be after the date the agreement was signed")
        if (data.get("data_lead_name") or data.get("data_lead_email")) and not (
            data.get("data_lead_name") and data.get("data_lead_email")
        ):
            missing = "data_lead_email" if data.get("data_lead_name") else "data_lead_name"
            if missing not in self.errors:
                self.add_error(missing, "Enter the data lead's name and email address")
        return data

    def onboarding_fields(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if name != "document"}
        for text in ("ethics_body", "data_lead_name", "data_lead_email", "sponsor_name", "sponsor_role"):
            data[text] = (data.get(text) or "").strip()
        return data


class MilestoneForm(GovukForm):
    status = forms.ChoiceField(label="Status", choices=Milestone.Status.choices, widget=forms.RadioSelect)
    due_on = GovukDateField(label="Due date", name="The due date")
    owner = forms.CharField(label="Owner (optional)", max_length=200, required=False)
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class MeetingForm(GovukForm):
    held_on = GovukDateField(label="Date of the meeting", name="The date of the meeting")
    attendees = forms.CharField(label="Who attended", widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    actions = forms.CharField(label="Actions (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class PlanForm(GovukForm):
    """The evaluation plan; one "expected change" choice per measure of the library."""

    research_questions = forms.CharField(
        label="Research questions", widget=forms.Textarea(attrs={"rows": 4}), required=False,
        help_text="What the evaluation will answer, one question per line.",
    )  # fmt: skip
    design = forms.ChoiceField(label="Design", choices=[("", "Choose a design")] + EvaluationPlan.Design.choices, required=False)
    intervention_start = GovukDateField(label="Intervention start date", required=False)
    baseline_start = GovukDateField(label="Baseline period starts", required=False)
    baseline_end = GovukDateField(label="Baseline period ends", required=False)
    follow_up_start = GovukDateField(label="Follow-up period starts", required=False)
    follow_up_end = GovukDateField(label="Follow-up period ends", required=False)
    comparison_group = forms.CharField(
        label="Comparison group (if any)", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    comparison_how_chosen = forms.CharField(
        label="How the comparison group was chosen", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    intervention_rows = forms.ChoiceField(
        label="Which rows of your outcome data show the intervention?",
        choices=list(INTERVENTION_ROWS.items()),
        initial="intervention",
        required=False,
        widget=forms.RadioSelect,
        help_text="Choose all children when the practice changed the whole service.",
    )
    comparison_rows = forms.ChoiceField(
        label="Which rows show the comparison?",
        choices=list(COMPARISON_ROWS.items()),
        initial="comparison",
        required=False,
        widget=forms.RadioSelect,
        help_text="A comparison design (difference-in-differences, randomised trial, time to event) compares the comparison "
        "group's rows.",
    )
    groups_exclusive = forms.BooleanField(
        label="No child is in both the intervention and the comparison group",
        required=False,
        help_text="Then every upload is checked so that “all” is at least intervention plus comparison.",
    )
    expected_children_per_period = forms.IntegerField(label="Expected number of children per period", min_value=0, required=False)
    horizon_days = forms.IntegerField(
        label="Time to event: horizon in days",
        min_value=1,
        max_value=MAX_HORIZON_DAYS,
        required=False,
        help_text=f"Only for a time-to-event design: the estimate is the difference in the percentage of children who "
        f"had the event by this many days after their start date. Left empty: {DEFAULT_HORIZON_DAYS}.",
    )

    MEASURE_PREFIX = "measure__"
    ROLE_PREFIX = "role__"

    def __init__(self, *args, measures=(), **kwargs):
        self.measure_codes = [m.code for m in measures]
        super().__init__(*args, **kwargs)
        choices = [("", "Not measured")] + list(PLAN_DIRECTIONS.items())
        for measure in measures:
            self.fields[self.MEASURE_PREFIX + measure.code] = forms.ChoiceField(
                label=measure.name, choices=choices, required=False, widget=forms.Select(attrs={"class": "govuk-select"})
            )
            self.fields[self.ROLE_PREFIX + measure.code] = forms.ChoiceField(
                label=f"Role of {measure.name}",
                choices=list(PLAN_ROLES.items()),
                initial="secondary",
                required=False,
                widget=forms.Select(attrs={"class": "govuk-select"}),
            )

    def content_fields(self):
        """The plan's own fields, for the template (the measures' fields are in `measure_rows`)."""
        return [field for field in self if not field.name.startswith((self.MEASURE_PREFIX, self.ROLE_PREFIX))]

    def measure_rows(self):
        """(expected change, role) fields of each measure, for the measures table."""
        return [(self[self.MEASURE_PREFIX + code], self[self.ROLE_PREFIX + code]) for code in self.measure_codes]

    def chosen_measure_rows(self):
        """The rows of the measures the plan names (those with an expected change)."""
        return [row for row in self.measure_rows() if row[0].value()]

    def other_measure_rows(self):
        """The rest of the library, offered to add (not listed as "Not measured" above them)."""
        return [row for row in self.measure_rows() if not row[0].value()]

    def clean(self):
        data = super().clean()
        for start, end, label in (
            ("baseline_start", "baseline_end", "baseline"),
            ("follow_up_start", "follow_up_end", "follow-up"),
        ):
            if data.get(start) and data.get(end) and data[end] < data[start]:
                self.add_error(end, f"The {label} period must end after it starts")
        return data

    def plan_content(self) -> dict:
        data = dict(self.cleaned_data)
        data["intervention_rows"] = data.get("intervention_rows") or "intervention"
        data["horizon_days"] = data.get("horizon_days") or DEFAULT_HORIZON_DAYS
        data["measures"] = [
            {"code": code, "direction": data[self.MEASURE_PREFIX + code], "role": data.get(self.ROLE_PREFIX + code) or None}
            for code in self.measure_codes
            if data.get(self.MEASURE_PREFIX + code)
        ]
        return {k: v for k, v in data.items() if not k.startswith((self.MEASURE_PREFIX, self.ROLE_PREFIX))}

    @classmethod
    def initial_from(cls, plan, *, measures: list[dict] = ()) -> dict:
        """The form's starting values: the plan's, or for a first plan the ``measures`` given (the
        application's choice)."""
        if plan is None:
            initial = {cls.MEASURE_PREFIX + m["code"]: m["direction"] for m in measures}
            initial.update({cls.ROLE_PREFIX + m["code"]: m["role"] for m in measures})
            return initial
        initial = {name: getattr(plan, name) for name in EvaluationPlan.CONTENT_FIELDS if name != "measures"}
        initial.update({cls.MEASURE_PREFIX + m["code"]: m["direction"] for m in plan.measures})
        initial.update({cls.ROLE_PREFIX + code: role for code, role in plan.measure_roles().items()})
        return initial


class PlanReviewForm(GovukForm):
    """The practice team's decision on a submitted plan."""

    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("sign_off", "Sign it off (it is locked)"), ("request_changes", "Ask the partner for changes")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to sign the plan off or ask for changes"},
    )
    comments = forms.CharField(
        label="Comments", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The partner reads these. Say what to change if you ask for changes.",
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("decision") == "request_changes" and not (data.get("comments") or "").strip():
            self.add_error("comments", "Say what needs to change")
        return data


class PlanNewVersionForm(GovukForm):
    reason = forms.CharField(
        label="Why is the plan changing?", widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the plan is changing"},
    )  # fmt: skip


class TheoryForm(GovukForm):
    inputs = forms.CharField(label="Inputs", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="One per line. They are numbered IN1, IN2… in the order you write them.")  # fmt: skip
    activities = forms.CharField(label="Activities", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text="Numbered AC1, AC2…")  # fmt: skip
    outputs = forms.CharField(label="Outputs", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="Numbered OP1, OP2…")  # fmt: skip
    short_term = forms.CharField(label="Short-term outcomes", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text="Numbered ST1, ST2…")  # fmt: skip
    long_term = forms.CharField(label="Long-term outcomes", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                help_text="Numbered LT1, LT2…")  # fmt: skip
    assumptions = forms.CharField(label="Assumptions and risks", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="Numbered AR1, AR2…")  # fmt: skip
    links = forms.CharField(label="Links", required=False, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="One per line, for example “AC1 -> OP1” (activity 1 leads to output 1).")  # fmt: skip
    measures = forms.CharField(label="Measures of the outcomes", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text="One outcome per line, for example “ST1: re_referrals_12m”.")  # fmt: skip

    def __init__(self, *args, known_measures=frozenset(), **kwargs):
        self.known_measures = set(known_measures)
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        texts = {kind: data.get(kind, "") for kind, _, _ in theory.KINDS}
        self.content, problems = theory.parse(
            texts, data.get("links", ""), data.get("measures", ""), known_measures=self.known_measures
        )
        for problem in problems:
            self.add_error(problem.field, problem.message)
        return data


class PopulationForm(GovukForm):
    year = forms.IntegerField(
        label="Year of the ONS mid-year estimate", min_value=1990, max_value=2100,
        help_text="The estimate for 30 June of this year.",
    )  # fmt: skip
    children = forms.IntegerField(
        label="Children aged 0 to 17",
        min_value=0,
        max_value=5_000_000,
        help_text="Enter 0 to remove the year's figure.",
    )


class ElementForm(GovukForm):
    """One element of a theory of change, with its links picked from lists (the structured editor)."""

    prefix = "element"  # beside the text form on one page: its fields' ids must differ

    kind = forms.ChoiceField(
        label="What kind of element is it?", choices=[(k, label) for k, _, label in theory.KINDS], widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of element it is"},
    )  # fmt: skip
    text = forms.CharField(
        label="Describe it", max_length=theory.TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Describe the element",
                        "max_length": f"Describe the element in {theory.TEXT_MAX} characters or fewer"},
    )  # fmt: skip
    comes_from = forms.MultipleChoiceField(
        label="What leads to it? (optional)", required=False, widget=forms.CheckboxSelectMultiple
    )
    leads_to = forms.MultipleChoiceField(
        label="What does it lead to? (optional)", required=False, widget=forms.CheckboxSelectMultiple
    )
    measures = forms.MultipleChoiceField(
        label="Measures of this outcome (optional)", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="For a short- or long-term outcome only: the measures from the library that show it.",
    )  # fmt: skip

    def __init__(self, *args, content: dict, measures=(), element_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        others = theory.element_choices(content, exclude=element_id)
        self.fields["comes_from"].choices = others
        self.fields["leads_to"].choices = others
        self.fields["measures"].choices = [(m.code, m.name) for m in measures]
        if element_id:
            del self.fields["kind"]  # an element keeps its column
