from datetime import date

from django import forms

from pine.forms import GovukForm


class UploadForm(GovukForm):
    file = forms.FileField(
        label="Upload a CSV file or an Excel workbook (.xlsx)",
        help_text="Columns: measure, period_start, period_end, group, value, and optionally numerator, denominator. "
        "Dates as DD/MM/YYYY. In a workbook, only the first sheet is read.",
    )
    dry_run = forms.BooleanField(
        label="Check only (dry run)",
        required=False,
        help_text="Shows what the file would change, and stores nothing.",
    )


class ExplanationForm(GovukForm):
    explanation = forms.CharField(
        label="Explain these values",
        help_text="Why are they so different from the previous period? The practice team will read this.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "Explain why these values are so different from the previous period."},
    )


class UnlockForm(GovukForm):
    period_start = forms.DateField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Reason for unlocking",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Give the reason for unlocking this period."},
    )


class ApprovePeriodsForm(GovukForm):
    """Several periods approved in one action: ``choices`` are the periods that can be approved."""

    period_starts = forms.TypedMultipleChoiceField(
        label="Select the periods to approve",
        coerce=date.fromisoformat,
        error_messages={
            "required": "Select the periods to approve.",
            "invalid_choice": "Select only periods that are waiting for approval.",
        },
    )

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period_starts"].choices = choices


class PeriodQueryForm(GovukForm):
    question = forms.CharField(
        label="Your question for the partner",
        help_text="Say what looks wrong and what you need: an explanation, or the period's data uploaded again.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "Write the question for the partner."},
    )


class PeriodQueryAnswerForm(GovukForm):
    answer = forms.CharField(
        label="Your answer",
        help_text="The practice team reads this before they approve the period. "
        "To correct the data, upload the period again instead.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "Write your answer to the practice team's question."},
    )
