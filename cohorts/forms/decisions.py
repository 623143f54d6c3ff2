"""Forms of the selection panel and of decisions."""

from django import forms

from cohorts.models import Application, Decision
from cohorts.selectors.panel import NO_DECISION, SORTS
from pine.forms import GovukForm


class PanelFilterForm(GovukForm):
    """The panel's filters and order (a GET form: the address can be shared and bookmarked)."""

    flagged = forms.BooleanField(label="Only applications where reviewers disagree", required=False)
    decision = forms.ChoiceField(
        label="Pending decision",
        required=False,
        choices=[("", "Any"), (NO_DECISION, "No decision yet"), *Decision.choices],
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any"), *[(v, label) for v, label in Application.Status.choices if v != Application.Status.DRAFT]],
    )
    sort = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[("", "")] + [(k, k) for k in SORTS] + [(f"-{k}", f"-{k}") for k in SORTS],
    )

    def filters(self) -> dict:
        """The valid filters (an invalid one is shown as an error and ignored)."""
        self.is_valid()  # cleaned_data then holds the valid fields only
        data = self.cleaned_data
        return {
            "flagged": bool(data.get("flagged")),
            "decision": data.get("decision") or "",
            "status": data.get("status") or "",
            "sort": data.get("sort") or "",
        }


class DecisionRecordForm(GovukForm):
    decision = forms.ChoiceField(
        label="Decision",
        choices=Decision.choices,
        widget=forms.RadioSelect,
        help_text="Pending until you release the cohort's decisions: the applicant sees nothing until then.",
        error_messages={"required": "Choose a decision"},
    )
    note = forms.CharField(
        label="Reason for the decision (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Sent to the applicant in the email about the decision.",
    )
    confirm_over_capacity = forms.BooleanField(
        label="Accept it even though this is more than the cohort's capacity",
        required=False,
        help_text="Every place is taken: accepting this application takes the cohort over its capacity.",
    )
    confirm_without_reviews = forms.BooleanField(
        label="Decide it even though no reviewer has submitted a review",
        required=False,
        help_text="No reviewer has submitted a review of this application yet.",
    )


class ReleaseForm(GovukForm):
    confirm = forms.BooleanField(
        label="I have checked the emails: send them and release the decisions",
        error_messages={"required": "Confirm you have checked the emails before releasing the decisions"},
    )
