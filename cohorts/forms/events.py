"""Forms for events for applicants, registering for them, and a call's documents."""

from django import forms

from cohorts.services.events import ALLOWED_LIST, MAX_DOCUMENT_BYTES, document_problem
from pine.forms import GovukDateTimeField, GovukForm
from pine.validators import validate_plausible_datetime


def _when(label: str) -> GovukDateTimeField:
    """When the event starts or ends: the GOV.UK date input and an hour and a minute (UK time)."""
    return GovukDateTimeField(
        label=label,
        name=f"The date and time the event {label.lower()}",
        validators=[validate_plausible_datetime],
    )


class EventForm(GovukForm):
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="For example: webinar about the call.",
        error_messages={"required": "Enter a title"},
    )
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown on the public page of the event.",
    )
    starts_at = _when("Starts")
    ends_at = _when("Ends")
    joining_details = forms.CharField(
        label="Joining details",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Sent only to people who register: a link, a dial-in or a venue. The first line is the calendar location.",
        error_messages={"required": "Enter the joining details"},
    )
    capacity = forms.IntegerField(
        label="Capacity (optional)",
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="How many people can register. Leave empty for no limit.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-5"}),
        error_messages={
            "invalid": "Enter the capacity as a whole number, like 50",
            "min_value": "The capacity must be 1 or more",
            "max_value": "The capacity must be 100,000 or fewer",
        },
    )

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The event must end after it starts")
        return data


class RegistrationForm(GovukForm):
    name = forms.CharField(label="Full name", max_length=200, error_messages={"required": "Enter your full name"})
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We will send the joining details and a calendar invitation to this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": "Enter your email address", "invalid": "Enter an email address like name@example.org"},
    )
    organisation = forms.CharField(
        label="Organisation",
        max_length=200,
        help_text="For example: Northshire County Council.",
        error_messages={"required": "Enter your organisation"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"


class ButtonForm(GovukForm):
    """A form that is only its button: cancelling a registration, deleting an event or document
    (what it acts on is in the address)."""


class DocumentForm(GovukForm):
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="For example: guidance for applicants.",
        error_messages={"required": "Enter a title for the document"},
    )
    file = forms.FileField(
        label="Upload a file",
        help_text=f"The file must be {ALLOWED_LIST}, smaller than {MAX_DOCUMENT_BYTES // (1024 * 1024)}MB.",
        error_messages={"required": "Select a file", "empty": "The selected file is empty", "invalid": "Select a file"},
        widget=forms.FileInput(attrs={"accept": ".pdf,.docx,.xlsx,.odt,.csv"}),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        # Name and size first, before reading the bytes; the service checks the bytes.
        problem = document_problem(uploaded.name, uploaded.size)
        if problem:
            raise forms.ValidationError(problem)
        return uploaded
