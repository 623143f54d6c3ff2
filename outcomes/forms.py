from django import forms

from pine.forms import GovukForm


class UploadForm(GovukForm):
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="Columns: measure, period_start, period_end, group, value, and optionally numerator, denominator. "
        "Dates as DD/MM/YYYY.",
    )
