from django import forms

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
from pine.forms import GovukForm


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_TOO_LARGE = "The file must be smaller than 20 MB"


class DsaForm(GovukForm):
    document = forms.FileField(
        label="Signed data sharing agreement", help_text="A PDF or Word document, up to 20 MB.", required=False
    )
    dsa_signed_on = forms.DateField(label="Date signed", widget=DateInput())
    dsa_expires_on = forms.DateField(label="Expiry date", widget=DateInput())

    def __init__(self, *args, has_document=False, **kwargs):
        self.has_document = has_document  # before GovukForm's __init__, which already validates
        super().__init__(*args, **kwargs)

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document is None and not self.has_document:
            raise forms.ValidationError("Choose the signed agreement to upload")
        if document is not None and document.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(DOCUMENT_TOO_LARGE)
        return document

    def clean(self):
        data = super().clean()
        if data.get("dsa_signed_on") and data.get("dsa_expires_on") and data["dsa_expires_on"] <= data["dsa_signed_on"]:
            self.add_error("dsa_expires_on", "The expiry date must be after the date the agreement was signed")
        return data


class DpiaForm(GovukForm):
    dpia_completed_on = forms.DateField(label="Date the DPIA was completed", widget=DateInput())


class EthicsForm(GovukForm):
    ethics_required = forms.TypedChoiceField(
        label="Does the evaluation need ethics or research governance approval?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the evaluation needs ethics or governance approval"},
    )
    ethics_approved_on = forms.DateField(label="Date approved (if approved)", widget=DateInput(), required=False)
    ethics_body = forms.CharField(label="Approved by (if approved)", max_length=200, required=False)


class PeopleForm(GovukForm):
    data_lead_name = forms.CharField(label="Data lead's name", max_length=200)
    data_lead_email = forms.EmailField(label="Data lead's email address")
    sponsor_name = forms.CharField(label="Senior sponsor's name", max_length=200)
    sponsor_role = forms.CharField(label="Senior sponsor's role", max_length=200, required=False)


class MilestoneForm(GovukForm):
    status = forms.ChoiceField(label="Status", choices=Milestone.Status.choices, widget=forms.RadioSelect)
    due_on = forms.DateField(label="Due date", widget=DateInput())
    owner = forms.CharField(label="Owner (optional)", max_length=200, required=False)
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class MeetingForm(GovukForm):
    held_on = forms.DateField(label="Date of the meeting", widget=DateInput())
    attendees = forms.CharField(label="Who attended", widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    actions = forms.CharField(label="Actions (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))


ONBOARDING_FORMS = {"dsa": DsaForm, "dpia": DpiaForm, "ethics": EthicsForm, "people": PeopleForm}
ONBOARDING_TITLES = {
    "dsa": "Data sharing agreement",
    "dpia": "Data protection impact assessment",
    "ethics": "Ethics or governance approval",
    "people": "Data lead and senior sponsor",
}


class PlanForm(GovukForm):
    """The evaluation plan; one "expected change" choice per measure of the library."""

    research_questions = forms.CharField(
        label="Research questions", widget=forms.Textarea(attrs={"rows": 4}), required=False,
        help_text="What the evaluation will answer, one question per line.",
    )  # fmt: skip
    design = forms.ChoiceField(label="Design", choices=[("", "Choose a design")] + EvaluationPlan.Design.choices, required=False)
    intervention_start = forms.DateField(label="Intervention start date", widget=DateInput(), required=False)
    baseline_start = forms.DateField(label="Baseline period starts", widget=DateInput(), required=False)
    baseline_end = forms.DateField(label="Baseline period ends", widget=DateInput(), required=False)
    follow_up_start = forms.DateField(label="Follow-up period starts", widget=DateInput(), required=False)
    follow_up_end = forms.DateField(label="Follow-up period ends", widget=DateInput(), required=False)
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
    def initial_from(cls, plan) -> dict:
        if plan is None:
            return {}
        initial = {name: getattr(plan, name) for name in EvaluationPlan.CONTENT_FIELDS if name != "measures"}
        initial.update({cls.MEASURE_PREFIX + m["code"]: m["direction"] for m in plan.measures})
        initial.update({cls.ROLE_PREFIX + code: role for code, role in plan.measure_roles().items()})
        return initial


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
