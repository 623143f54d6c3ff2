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


class ApproveForm(GovukForm):
    period_start = forms.DateField(widget=forms.HiddenInput)


class UnlockForm(GovukForm):
    period_start = forms.DateField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Reason for unlocking",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Give the reason for unlocking this period."},
    )
