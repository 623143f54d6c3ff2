import re
from datetime import time

from django import forms

from cohorts.models import Application, Cohort
from pine.forms import GovukDateTimeField, GovukForm
from pine.validators import validate_plausible_datetime

START_OF_DAY, END_OF_DAY = time(0, 0), time(23, 59)


def _when(label: str, *, required: bool = False, default_time: time = END_OF_DAY) -> GovukDateTimeField:
    """A moment in UK time: the GOV.UK date input and an hour and a minute; an empty time is
    ``default_time`` (the hint says which)."""
    return GovukDateTimeField(
        label=label if required else f"{label} (optional)",
        name=label,
        required=required,
        default_time=default_time,
        validators=[validate_plausible_datetime],
    )


def _text(label: str, *, required: bool = True, rows: int = 5, help_text: str = "", message: str = "") -> forms.CharField:
    return forms.CharField(
        label=label if required else f"{label} (optional)",
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": message or f"Enter {label[0].lower()}{label[1:]}"},
    )


class WholeNumberField(forms.IntegerField):
    """A whole number as people write it: "6,412" and "6 412" are 6412 (thousands separated in
    threes only: "64,12" is refused as the typing mistake it probably is)."""

    GROUPED = re.compile(r"^\d{1,3}([, ]\d{3})+$")

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
            if self.GROUPED.match(value):
                value = value.replace(",", "").replace(" ", "")
        return super().to_python(value)


class CohortForm(GovukForm):
    """A cohort's details, as the practice admin creates or changes them."""

    name = forms.CharField(label="Name", max_length=200, help_text="For example: PINE round 3 – multi-agency practice.")
    theme = forms.CharField(label="Theme (optional)", max_length=200, required=False)
    description = _text("Description of the call", help_text="Shown on the public page. Leave a blank line between paragraphs.")
    guidance = _text("Guidance for applicants", required=False, rows=6, help_text="Leave a blank line between paragraphs.")
    eligibility = _text("Who can apply", required=False, rows=4, help_text="The eligibility criteria, shown on the public page.")
    multi_agency = forms.BooleanField(
        label="Multi-agency cohort", required=False, help_text="Applicants describe how their agencies work together."
    )
    capacity = forms.IntegerField(label="How many partners can join", min_value=1, max_value=100, initial=9)
    reviewers_per_application = forms.IntegerField(
        label="Reviewers for each application",
        min_value=1,
        max_value=10,
        initial=2,
        help_text="How many reviewers score each application screened as eligible.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-2"}),
        error_messages={
            "required": "Enter how many reviewers score each application",
            "invalid": "Enter the number of reviewers as a whole number, like 2",
            "min_value": "Each application needs at least 1 reviewer",
            "max_value": "Enter 10 reviewers or fewer for each application",
        },
    )
    blind_review = forms.BooleanField(
        label="Blind review",
        required=False,
        help_text="Reviewers do not see the partner's name, agencies, places or sponsor.",
    )
    disagreement_threshold = forms.IntegerField(
        label="Flag a disagreement when two reviewers' scores differ by",
        min_value=1,
        max_value=10,
        initial=2,
        help_text="Points on one criterion. The panel flags the application for discussion.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-2"}),
        error_messages={
            "required": "Enter how many points apart two reviewers' scores must be to flag a disagreement",
            "invalid": "Enter the number of points as a whole number, like 2",
            "min_value": "Enter 1 point or more",
            "max_value": "Enter 10 points or fewer",
        },
    )
    opens_at = _when("Call opens", required=True, default_time=START_OF_DAY)
    deadline_at = _when("Application deadline", required=True)
    review_starts_at = _when("Review period starts", default_time=START_OF_DAY)
    review_ends_at = _when("Review period ends")
    selection_announced_at = _when("Selection announced", default_time=START_OF_DAY)
    programme_starts_at = _when("Programme starts", default_time=START_OF_DAY)
    programme_ends_at = _when("Programme ends")

    def clean(self):
        data = super().clean()
        if data.get("opens_at") and data.get("deadline_at") and data["deadline_at"] <= data["opens_at"]:
            self.add_error("deadline_at", "The deadline must be after the call opens")
        return data


class CohortReviewSettingsForm(GovukForm):
    """The review settings alone: what can still change while a cohort is being reviewed."""

    reviewers_per_application = CohortForm.base_fields["reviewers_per_application"]
    blind_review = CohortForm.base_fields["blind_review"]
    disagreement_threshold = CohortForm.base_fields["disagreement_threshold"]


class CohortCreateForm(CohortForm):
    publish = forms.BooleanField(
        label="Publish the call now",
        required=False,
        help_text="Leave it unticked to make a draft: you then open the call from the cohort's page, which first lists what "
        "opening it does.",
    )


class CohortTransitionForm(GovukForm):
    to = forms.ChoiceField(choices=Cohort.Status.choices, widget=forms.HiddenInput)


class ApplicationStartForm(GovukForm):
    practice_title = forms.CharField(
        label="Name of the practice",
        max_length=200,
        help_text="You can change it later.",
        error_messages={"required": "Enter the name of the practice"},
    )


# --- one form per section of the application (keys are the section slugs in cohorts.models) -------


class PartnershipForm(GovukForm):
    partnership_roles = _text("What each agency does in the practice", required=False, rows=4)
    partnership_confirmed = forms.BooleanField(
        label="The agencies listed are the partnership applying",
        error_messages={"required": "Confirm the agencies listed are the partnership applying"},
    )


class PracticeForm(GovukForm):
    practice_title = forms.CharField(
        label="Name of the practice", max_length=200, error_messages={"required": "Enter the name of the practice"}
    )
    practice_summary = _text(
        "What the practice is", help_text="Who delivers it, to whom, and what happens.", message="Enter what the practice is"
    )
    practice_evidence = _text(
        "Why it is promising",
        help_text="What you have seen so far, and any evidence from elsewhere.",
        message="Enter why the practice is promising",
    )


class ChildrenForm(GovukForm):
    children_description = _text(
        "The children and families it serves", message="Enter the children and families the practice serves"
    )
    children_count = WholeNumberField(
        label="How many children a year",
        min_value=1,
        max_value=1_000_000,
        help_text="An estimate is fine.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-10"}),
        error_messages={
            "required": "Enter how many children a year the practice serves",
            "invalid": "Enter the number of children as a whole number, like 120 or 6,412",
            "min_value": "The number of children must be 1 or more",
            "max_value": "The number of children must be 1,000,000 or fewer",
        },
    )


class JointWorkingForm(GovukForm):
    joint_working = _text(
        "How the agencies work together",
        rows=6,
        help_text="Shared decisions, information sharing, co-location, joint supervision.",
        message="Enter how the agencies work together",
    )


class OutcomesForm(GovukForm):
    outcome_measures = forms.MultipleChoiceField(
        label="Outcome measures",
        help_text="Choose every measure from the library the practice aims to change. Select all that apply.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one outcome measure"},
    )
    outcomes_summary = _text("Other outcomes it aims to change", required=False, rows=4)

    def __init__(self, *args, measure_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome_measures"].choices = list(measure_choices)


class DataForm(GovukForm):
    data_available = _text(
        "Data available", help_text="The data you hold about the children and the outcomes.", message="Enter the data available"
    )
    data_systems = _text(
        "Case management and data systems",
        rows=3,
        help_text="For example: Liquidlogic, Mosaic, a data warehouse.",
        message="Enter your case management and data systems",
    )


class ReadinessForm(GovukForm):
    staff_time = _text(
        "Staff time for the evaluation",
        rows=3,
        help_text="Who, and how many days a month.",
        message="Enter the staff time for the evaluation",
    )
    analyst_available = forms.ChoiceField(
        label="Can an analyst work on the evaluation?",
        choices=Application.YesNo.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if an analyst can work on the evaluation"},
    )
    senior_sponsor = forms.CharField(
        label="Senior sponsor",
        max_length=200,
        help_text="Name and role, for example: Jo Smith, Director of Children's Services.",
        error_messages={"required": "Enter the name and role of your senior sponsor"},
    )


class DataProtectionForm(GovukForm):
    data_protection = _text(
        "Data protection arrangements",
        help_text="Your lawful basis for sharing pseudonymised data, and who your data protection officer is.",
        message="Enter your data protection arrangements",
    )
    safeguarding = _text(
        "Safeguarding arrangements",
        help_text="How staff raise a concern about a child.",
        message="Enter your safeguarding arrangements",
    )


SECTION_FORMS: dict[str, type[GovukForm]] = {
    "partnership": PartnershipForm,
    "practice": PracticeForm,
    "children": ChildrenForm,
    "joint-working": JointWorkingForm,
    "outcomes": OutcomesForm,
    "data": DataForm,
    "readiness": ReadinessForm,
    "data-protection": DataProtectionForm,
}


class AnswerForm(GovukForm):
    """Submitting, and while the practice team has asked a question, answering it."""

    answer = _text(
        "Your answer to the practice team's question",
        required=False,
        rows=5,
        help_text="It is kept with your application, with their question. You can also change your answers above.",
    )


class LetterForm(GovukForm):
    """A letter of support from one of the partnership's agencies."""

    agency = forms.TypedChoiceField(
        label="Which agency is the letter from?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the agency the letter is from", "invalid_choice": "Choose one of your agencies"},
    )
    file = forms.FileField(
        label="Upload the letter",
        help_text="A PDF or a Word document (.docx), smaller than 10MB. A new letter from the same agency replaces the old one.",
        error_messages={"required": "Select a file", "empty": "The selected file is empty", "invalid": "Select a file"},
        widget=forms.FileInput(attrs={"accept": ".pdf,.docx"}),
    )

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(a.pk, f"{a.name} ({a.get_agency_type_display()})") for a in agencies]


class ConfirmForm(GovukForm):
    """A confirmation step (withdrawing): a yes/no question."""

    confirm = forms.ChoiceField(
        label="Are you sure you want to withdraw this application?",
        choices=[("yes", "Yes, withdraw it"), ("no", "No, keep it")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if you want to withdraw the application"},
    )


# --- the practice team's forms ----------------------------------------------------------------------


class ExtensionForm(GovukForm):
    until = _when("New deadline for this application", required=True)
    reason = _text("Reason for the extension", rows=3, message="Enter the reason for the extension")


class ScreeningForm(GovukForm):
    decision = forms.ChoiceField(
        label="Screening decision",
        choices=[("eligible", "Eligible"), ("ineligible", "Ineligible")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select eligible or ineligible"},
    )
    reason = _text("Reason", rows=3, message="Enter the reason for the screening decision")


class InformationRequestForm(GovukForm):
    question = _text(
        "Your question for the applicant",
        rows=4,
        help_text="The application reopens for them until they resubmit it.",
        message="Enter your question for the applicant",
    )


class EnquiryForm(GovukForm):
    """'Discuss your application' from a visitor: who they are, and the message."""

    name = forms.CharField(label="Your full name", max_length=200, error_messages={"required": "Enter your full name"})
    email = forms.EmailField(
        label="Your email address",
        help_text="The practice team replies to this address.",
        error_messages={"required": "Enter your email address", "invalid": "Enter an email address like name@example.org"},
    )
    organisation = forms.CharField(label="Organisation (optional)", max_length=200, required=False)
    body = _text(
        "Your message",
        rows=6,
        help_text="What you would like to discuss about applying: your practice, your data, the partnership.",
        message="Enter your message",
    )


class PartnerEnquiryForm(GovukForm):
    body = EnquiryForm.base_fields["body"]


class EnquiryReplyForm(GovukForm):
    reply = _text("Your reply", rows=6, help_text="Emailed to the sender.", message="Enter your reply")
