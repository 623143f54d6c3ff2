from django import forms

from measures.models import Measure
from pine.forms import GovukForm


class MeasureForm(GovukForm):
    """A measure's definition: the descriptive fields shared by library and local measures."""

    name = forms.CharField(label="Name", max_length=200, error_messages={"required": "Enter the measure's name"})
    definition = forms.CharField(
        label="Definition",
        help_text="Exactly what is counted, for which children and over which period.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "Enter the measure's definition"},
    )
    unit = forms.ChoiceField(label="Unit", choices=Measure.Unit.choices, error_messages={"required": "Choose the unit"})
    polarity = forms.ChoiceField(
        label="Which way is better", choices=Measure.Polarity.choices, error_messages={"required": "Choose which way is better"}
    )
    numerator = forms.CharField(
        label="Numerator (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    denominator = forms.CharField(
        label="Denominator (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    frequency = forms.ChoiceField(label="How often it is reported", choices=Measure.Frequency.choices)
    child_aggregation = forms.ChoiceField(
        label="How child-level rows add up",
        choices=Measure.ChildAggregation.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="A count counts the rows whose value is 1; a percentage is the rows with 1 out of all rows; "
        "days are their mean or median; a rate per 10,000 needs a population, so it takes aggregate rows only. "
        "Leave it to fit the unit, or choose mean or median for days.",
    )
    source = forms.ChoiceField(label="Source", choices=Measure.Source.choices)
    source_fields = forms.CharField(
        label="Source fields (optional)",
        required=False,
        max_length=300,
        help_text="The fields of the source data it is counted from.",
    )

    def clean(self):
        cleaned = super().clean()
        unit, rule = cleaned.get("unit"), cleaned.get("child_aggregation")
        allowed = Measure.AGGREGATIONS_BY_UNIT.get(unit, [])
        if not rule and allowed:
            cleaned["child_aggregation"] = allowed[0]
        elif allowed and rule not in allowed:
            shown = " or ".join(str(Measure.ChildAggregation(a).label).split(":")[0].lower() for a in allowed)
            self.add_error("child_aggregation", f"For this unit, child-level rows add up as: {shown}")
        return cleaned

    @classmethod
    def initial_from(cls, measure: Measure) -> dict:
        return {name: getattr(measure, name) for name in Measure.DEFINITION_FIELDS}

    def definition_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in Measure.DEFINITION_FIELDS if name in self.cleaned_data}


class LocalMeasureForm(MeasureForm):
    """A partner's local measure: a code of its own and the same descriptive fields."""

    code = forms.SlugField(
        label="Code",
        max_length=60,
        help_text="The code your data files will use in the measure column: lower-case letters, numbers, "
        "underscores and hyphens, for example family_time_hours. It cannot be a library measure's code.",
        error_messages={
            "required": "Enter a code for the measure",
            "invalid": "Use only lower-case letters, numbers, underscores and hyphens in the code",
        },
    )
    field_order = ["code", *Measure.DEFINITION_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].initial = Measure.Source.LOCAL
        self.order_fields(self.field_order)

    def clean_code(self):
        return self.cleaned_data["code"].strip().lower()
