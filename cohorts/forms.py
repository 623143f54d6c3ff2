from django import forms

from pine.forms import DateTimeLocalInput, GovukForm
from pine.validators import validate_plausible_datetime


class CohortForm(GovukForm):
    name = forms.CharField(label="Name", max_length=200, help_text="For example: PINE round 3 – multi-agency practice.")
    theme = forms.CharField(label="Theme (optional)", max_length=200, required=False)
    description = forms.CharField(label="Description of the call", widget=forms.Textarea(attrs={"rows": 5}))
    capacity = forms.IntegerField(label="How many partners can join", min_value=1, max_value=100, initial=9)
    opens_at = forms.DateTimeField(
        label="Call opens (UK time)", widget=DateTimeLocalInput(), validators=[validate_plausible_datetime]
    )
    deadline_at = forms.DateTimeField(
        label="Application deadline (UK time)", widget=DateTimeLocalInput(), validators=[validate_plausible_datetime]
    )
    publish = forms.BooleanField(label="Publish the call now", required=False, initial=True)

    def clean(self):
        data = super().clean()
        if data.get("opens_at") and data.get("deadline_at") and data["deadline_at"] <= data["opens_at"]:
            self.add_error("deadline_at", "The deadline must be after the call opens")
        return data


class ApplicationForm(GovukForm):
    practice_title = forms.CharField(label="Name of the practice", max_length=200)
    practice_summary = forms.CharField(
        label="What the practice is and why it is promising",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    outcomes_summary = forms.CharField(
        label="The outcomes in children's social care it aims to change",
        help_text="At least one outcome you can measure, for example re-referrals within 12 months.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DecisionForm(GovukForm):
    decision = forms.ChoiceField(
        label="Decision", choices=[("accept", "Accept: create the evaluation"), ("decline", "Decline")], widget=forms.RadioSelect
    )
