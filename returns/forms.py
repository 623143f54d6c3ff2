from django import forms

from pine.forms import GovukDateField, GovukForm
from returns import registry
from returns.models import ReturnImport


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or several files (an SSDA903 return is a set of CSV tables)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data] or single(None, initial)
        return [single(data, initial)]


def kind_choices() -> list[tuple[str, str]]:
    present = registry.available()
    return [("", "Let PINE tell from the file")] + [(k, label) for k, label in ReturnImport.Kind.choices if k in present]


class ReturnImportForm(GovukForm):
    files = MultipleFileField(
        label="Upload the return",
        help_text="The file or files exactly as you sent them to the DfE or Ofsted: a CIN census (XML), an SSDA903 "
        "return (its CSV tables, a zip of them, or its XML) or an Ofsted Annex A workbook (xlsx). Choose several files "
        "to send an SSDA903 return's tables, or several years at once.",
        error_messages={"required": "Choose the return's file or files."},
    )
    kind = forms.ChoiceField(label="Which return is it?", required=False, widget=forms.RadioSelect)
    frequency = forms.ChoiceField(
        label="Periods",
        choices=ReturnImport.Frequency.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="Only whole periods inside the years the return covers (and the evaluation plan's baseline and "
        "follow-up) are computed.",
    )
    period_from = GovukDateField(
        label="From (optional)",
        name="The first day of the first period",
        required=False,
        help_text="The first day of the first period to compute. For example, 1 4 2023",
    )
    period_to = GovukDateField(
        label="To (optional)",
        name="The last day of the last period",
        required=False,
        help_text="The last day of the last period to compute. For example, 31 3 2024",
    )
    groups = forms.ChoiceField(
        label="Groups",
        choices=ReturnImport.Groups.choices,
        initial=ReturnImport.Groups.ALL,
        widget=forms.RadioSelect,
        help_text="Every child is in “all”. The intervention and comparison groups come from lists of children you "
        "upload, or from the plan's intervention start date.",
    )
    intervention = forms.FileField(
        label="Children in the intervention group (optional)",
        required=False,
        help_text="A text or CSV file: one child identifier a line, as in the return (LAchildID; CHILD in an SSDA903 "
        "return). Pseudonymised as it is received.",
    )
    comparison = forms.FileField(
        label="Children in the comparison group (optional)",
        required=False,
        help_text="The same, for the comparison group.",
    )
    dry_run = forms.BooleanField(
        label="Check only (dry run)", required=False, help_text="Shows what the measures would change, and stores nothing."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        self.style_fields()

    def clean(self):
        data = super().clean()
        if data.get("groups") == ReturnImport.Groups.LISTS and not data.get("intervention"):
            self.add_error("intervention", "Upload the list of children in the intervention group.")
        return data
