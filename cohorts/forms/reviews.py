"""Forms of review: the rubric (criteria and scale), assigning reviewers, the conflict-of-interest
declaration and the review itself."""

from decimal import Decimal

from django import forms

from cohorts.models import Criterion, ScaleLevel
from cohorts.services.reviews import ScoreInput
from pine.forms import GovukForm


class CriterionForm(GovukForm):
    title = forms.CharField(label="Title", max_length=200, error_messages={"required": "Enter a title for the criterion"})
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What reviewers look for. Shown with the criterion on the review form.",
    )
    weight = forms.DecimalField(
        label="Weight",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("999.99"),
        initial=1,
        help_text="How much the criterion counts in the weighted total, for example 1 or 2.",
        error_messages={
            "required": "Enter a weight",
            "invalid": "Enter the weight as a number, like 1 or 1.5",
            "min_value": "The weight must be more than 0",
            "max_value": "The weight must be less than 1000",
            "max_decimal_places": "Enter the weight with no more than 2 decimal places",
            "max_digits": "Enter the weight as a number less than 1000",
        },
    )
    counted = forms.BooleanField(
        label="Count this criterion towards the total",
        required=False,
        initial=True,
        help_text="Leave it unticked to record reviewers' scores without counting them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weight"].widget.attrs["class"] += " govuk-input--width-5"
        self.fields["weight"].widget.attrs["inputmode"] = "decimal"

    @staticmethod
    def initial_from(criterion: Criterion) -> dict:
        return {
            "title": criterion.title,
            "description": criterion.description,
            "weight": criterion.weight,
            "counted": criterion.counted,
        }


class ScaleLevelForm(GovukForm):
    score = forms.IntegerField(
        label="Score",
        min_value=0,
        max_value=100,
        help_text="A whole number, for example 4.",
        error_messages={
            "required": "Enter the score",
            "invalid": "Enter the score as a whole number, like 4",
            "min_value": "The score must be 0 or more",
            "max_value": "The score must be 100 or less",
        },
    )
    label = forms.CharField(
        label="Label", max_length=100, help_text="For example, Strong.", error_messages={"required": "Enter a label"}
    )
    descriptor = forms.CharField(
        label="Descriptor",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What an application scoring this shows. Reviewers see it next to the score.",
        error_messages={"required": "Enter what this score means"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].widget.attrs["class"] += " govuk-input--width-3"

    @staticmethod
    def initial_from(level: ScaleLevel) -> dict:
        return {"score": level.score, "label": level.label, "descriptor": level.descriptor}


class StandardRubricForm(GovukForm):
    confirm = forms.BooleanField(
        label="Replace this cohort's criteria and scale with the standard rubric",
        error_messages={"required": "Confirm you want to replace the rubric with the standard one"},
    )


class AssignForm(GovukForm):
    """Choose reviewers for one application (checkboxes, rendered by the template)."""

    reviewers = forms.MultipleChoiceField(
        label="Reviewers",
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one reviewer", "invalid_choice": "Choose reviewers from the list"},
    )

    def __init__(self, *args, reviewer_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].choices = list(reviewer_choices)


class ConflictForm(GovukForm):
    conflict = forms.ChoiceField(
        label="Do you have a conflict of interest with this application?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        help_text=(
            "For example, you work or have worked for one of the agencies applying, or you are close to someone who does. "
            "If you say yes you will not see the application, and the practice team will be told."
        ),
        error_messages={"required": "Select yes if you have a conflict of interest"},
    )
    details = forms.CharField(
        label="Describe the conflict (if you have one)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={},
    )

    def clean(self):
        data = super().clean()
        if data.get("conflict") == "yes" and not (data.get("details") or "").strip():
            self.add_error("details", "Describe the conflict of interest")
        return data


class ReviewForm(GovukForm):
    """A score (radios, one per level of the scale, each with its descriptor) and an optional
    comment for each criterion, and overall comments. Field names carry the criterion's id:
    ``criterion_<id>`` and ``comment_<id>``."""

    comments = forms.CharField(label="Overall comments (optional)", required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, criteria=(), scale=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.scale = list(scale)
        choices = [(str(level.score), f"{level.score} – {level.label}") for level in self.scale]
        for criterion in self.criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.title,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": f"Choose a score on the scale for “{criterion.title}”"},
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=f"Comment on {criterion.title.lower()} (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
        self.fields["comments"] = self.fields.pop("comments")  # last
        self.style_fields()

    @staticmethod
    def initial_from(review) -> dict:
        if review is None:
            return {}
        initial = {"comments": review.comments}
        for score in review.scores.all():
            initial[f"criterion_{score.criterion_id}"] = str(score.score)
            initial[f"comment_{score.criterion_id}"] = score.comment
        return initial

    def rows(self):
        """(criterion, score field, comment field) for the template."""
        return [(c, self[f"criterion_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def score_inputs(self) -> list[ScoreInput]:
        data = self.cleaned_data
        return [
            ScoreInput(criterion=c, score=data.get(f"criterion_{c.pk}"), comment=data.get(f"comment_{c.pk}") or "")
            for c in self.criteria
        ]
