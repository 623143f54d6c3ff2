"""The dashboards' filter forms (GET)."""

from django import forms

from pine.forms import GovukForm
from reports.dashboards import rules
from reports.dashboards.selectors import SORTS


class ProgrammeFilterForm(GovukForm):
    cohort = forms.ChoiceField(label="Cohort", required=False)
    stage = forms.ChoiceField(label="Stage", required=False, choices=[("", "Any stage"), *rules.STAGES.items()])
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *rules.STATUSES.items()])
    sort = forms.ChoiceField(label="Sort by", required=False, choices=[(key, label) for key, (label, _) in SORTS.items()])

    def __init__(self, *args, cohorts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].choices = [("", "Every cohort"), *((c.slug, c.name) for c in cohorts)]

    def filters(self) -> dict:
        """The valid filters (an invalid one is left out, and the form shows its error)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {name: data.get(name) or "" for name in ("cohort", "stage", "status", "sort")} | {
            "sort": data.get("sort") or "partner"
        }


class MeasureChoiceForm(GovukForm):
    measure = forms.ChoiceField(label="Measure", required=False)

    def __init__(self, *args, measures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = list(measures)
