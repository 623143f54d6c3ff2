"""Forms of the report pages."""

from django import forms

from pine.forms import GovukForm
from reports.models import Report


class NarrativeForm(GovukForm):
    narrative = forms.CharField(
        label="Key messages in your own words",
        help_text=f"Optional, up to {Report.NARRATIVE_MAX_WORDS} words. They appear under “Key messages”, "
        "labelled as yours, once you mark the report final.",
        required=False,
        max_length=5000,  # a bound on what is read; the words are counted by the service
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class SendBackForm(GovukForm):
    reason = forms.CharField(
        label="Why are you sending it back?",
        help_text="The partner's lead sees this and can change the key messages before marking it final again.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
