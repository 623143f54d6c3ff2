"""Pages: a partner's data uploads (progress, problems, warnings, changes), the data templates, and
the practice team's approval of periods."""

import csv
import io

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import TemplateView

from evaluations import selectors as evaluation_selectors
from measures import selectors as measure_selectors
from measures.library import value_shown
from outcomes import approval_selectors, approval_services, charts, selectors, services
from outcomes.forms import ApprovePeriodsForm, ExplanationForm, UnlockForm
from pine.access import ADMINS
from pine.exports import neutralised
from pine.scoping import PartnerView, PracticeView
from pine.views import run_service

CHANGES_SHOWN = 500  # rows of an upload's changes a page lists


class SubmissionDetailView(PartnerView, TemplateView):
    """An upload's progress (polled with htmx until the worker has finished), then its result:
    problems, warnings waiting for an explanation, or what it changed."""

    template_name = "outcomes/submission_detail.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["outcomes/_submission_status.html"]
        return [self.template_name]

    def scoped_object(self):
        return selectors.submission_get(partner=self.partner, code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        submission = self.object
        changes, warnings = self._as_shown(submission)
        return super().get_context_data(
            submission=submission,
            changes=changes,
            warnings=warnings,
            counts=submission.change_counts(),
            explanation_form=kwargs.pop("explanation_form", None) or ExplanationForm(),
            **kwargs,
        )

    def _as_shown(self, submission) -> tuple[list[dict], list[dict]]:
        """The first CHANGES_SHOWN changes and the warnings as the page shows them: each measure by
        its name (its code beside it), each value at its unit's precision, as the report tables show
        values (the API and the CSV keep them as sent)."""
        changes = submission.changes[:CHANGES_SHOWN]
        codes = {c["measure"] for c in changes} | {w["measure"] for w in submission.warnings}
        measures = {m.code: m for m in measure_selectors.measure_list(partner=self.partner).filter(code__in=codes)}

        def shown(value, code: str) -> str:
            measure = measures.get(code)
            if value in (None, "") or measure is None:
                return value or ""
            return value_shown(value, measure.unit)

        def named(entry: dict) -> dict:
            measure = measures.get(entry["measure"])
            return {**entry, "name": measure.name if measure else ""}

        shown_changes = [
            {
                **named(c),
                "new_shown": shown(c["new"]["value"], c["measure"]),
                "old_shown": shown(c["old"]["value"], c["measure"]) if c.get("old") else "",
            }
            for c in changes
        ]
        shown_warnings = [{**named(w), "shown": shown(w.get("value"), w["measure"])} for w in submission.warnings]
        return shown_changes, shown_warnings

    def post(self, request, partner_slug, code):
        """The uploader explains the warnings, stores a clean dry run, or discards a pending upload."""
        action = request.POST.get("action", "explain")
        if action in ("store", "discard"):
            return self._store_or_discard(request, action)
        form = ExplanationForm(request.POST)
        explained = run_service(
            form,
            lambda: services.submission_explain(
                partner=self.partner, actor=request.user, submission=self.object, explanation=form.cleaned_data["explanation"]
            ),
        )
        if not explained.ok:
            return self.render_to_response(self.get_context_data(explanation_form=form))
        messages.success(request, "Thank you. The values are being stored.")
        return redirect("outcomes:submission", partner_slug=partner_slug, code=code)

    def _store_or_discard(self, request, action: str):
        service = services.submission_store_checked if action == "store" else services.submission_discard
        done = run_service(request, lambda: service(partner=self.partner, actor=request.user, submission=self.object))
        if done.ok:
            messages.success(request, "The file is being stored." if action == "store" else "The upload was discarded.")
        return redirect("outcomes:submission", partner_slug=self.partner.slug, code=self.object.code)


class SubmissionErrorsCsvView(PartnerView):
    def scoped_object(self):
        return selectors.submission_get(partner=self.partner, code=self.kwargs["code"])

    def get(self, request, partner_slug, code):
        submission = self.object
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["row", "column", "value", "reason"])
        writer.writeheader()
        for problem in submission.errors:
            writer.writerow({k: neutralised(problem.get(k)) for k in ("row", "column", "value", "reason")})
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="problems-{submission.code}.csv"'
        return response


class PracticePeriodsView(PracticeView, TemplateView):
    """Approval against the data: each period's values, a chart per measure (with its table), what
    changed from earlier versions and the explanations the partner gave; the practice team selects
    several periods and approves them (which locks them) in one action, or opens a period to send it
    back with a query. A practice admin may unlock an approved period, giving a reason."""

    template_name = "outcomes/practice_periods.html"

    def scoped_object(self):
        return evaluation_selectors.evaluation_get_for_practice(code=self.kwargs["code"])

    def _approve_form(self, reviews, data=None) -> ApprovePeriodsForm:
        choices = [(r.period_start.isoformat(), f"{r.period_start:%d/%m/%Y}") for r in reviews if r.can_be_approved]
        return ApprovePeriodsForm(data, choices=choices)

    def get_context_data(self, **kwargs):
        evaluation = self.object
        reviews = approval_selectors.period_review_list(partner=evaluation.partner, evaluation=evaluation)
        series = approval_selectors.measure_series(reviews)
        approve_form = kwargs.pop("approve_form", None) or self._approve_form(reviews)
        return super().get_context_data(
            evaluation=evaluation,
            periods=reviews,
            checked=approve_form.data.getlist("period_starts") if approve_form.is_bound else [],
            first_choice=next((r.period_start for r in reviews if r.can_be_approved), None),
            charts=[
                {**measure, "figure": charts.measure_figure(measure), "chart_id": f"chart-{number}"}
                for number, measure in enumerate(series, start=1)
            ],
            counts={
                "approved": sum(r.status == "approved" for r in reviews),
                "waiting": sum(r.can_be_approved for r in reviews),
                "queried": sum(r.status == "queried" for r in reviews),
            },
            approve_form=approve_form,
            can_unlock=self.access.has_practice_role(ADMINS) and any(r.approval for r in reviews),
            unlock_form=kwargs.pop("unlock_form", None) or UnlockForm(),
            **kwargs,
        )

    def post(self, request, code):
        evaluation = self.object
        if request.POST.get("action") == "unlock":
            return self._unlock(request, evaluation)
        reviews = approval_selectors.period_review_list(partner=evaluation.partner, evaluation=evaluation)
        data = request.POST.copy()
        if "period_start" in data and "period_starts" not in data:  # one period's own Approve button
            data.setlist("period_starts", data.getlist("period_start"))
        form = self._approve_form(reviews, data)
        done = run_service(
            form,
            lambda: approval_services.periods_approve(
                actor=request.user, evaluation=evaluation, period_starts=form.cleaned_data["period_starts"]
            ),
            field="period_starts",
        )
        if not done.ok:
            return self.render_to_response(self.get_context_data(error_form=form, approve_form=form))
        approved = len(done.result)
        messages.success(request, f"{approved} period{'s' if approved != 1 else ''} approved and locked.")
        return redirect("outcomes:practice_periods", code=code)

    def _unlock(self, request, evaluation):
        form = UnlockForm(request.POST)
        done = run_service(
            form,
            lambda: services.period_unlock(
                actor=request.user,
                evaluation=evaluation,
                period_start=form.cleaned_data["period_start"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if not done.ok:
            return self.render_to_response(self.get_context_data(error_form=form, unlock_form=form))
        messages.success(request, f"The period starting {form.cleaned_data['period_start']:%d/%m/%Y} is unlocked.")
        return redirect("outcomes:practice_periods", code=evaluation.code)


TEMPLATE_COLUMNS = ["measure", "period_start", "period_end", "group", "value", "numerator", "denominator"]
EXAMPLE_ROW = ["re_referrals_12m", "01/04/2025", "30/04/2025", "intervention", "22.5", "45", "200"]
# In a CSV template the example is a note row: a row whose first cell starts with "#" is never read.
EXAMPLE_NOTE = f"# Example (not read: rows starting with # are skipped): {EXAMPLE_ROW[0]}"
DICTIONARY_COLUMNS = [
    "measure", "name", "unit", "polarity", "definition", "numerator", "denominator", "frequency", "child_rows", "source",
    "source_fields", "version", "groups", "date_format", "example_row", "child_date_columns",
]  # fmt: skip
CHILD_DATE_COLUMNS = (
    "child-level rows only, optional: event_date (the event, within the period) and start_date (when the child's "
    "time to the event starts, for time-to-event plans; not after the event date or the period end; no event date "
    "= censored at the period end)"
)
CONTENT_TYPES = {
    "template.csv": "text/csv; charset=utf-8",
    "template.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "data-dictionary.csv": "text/csv; charset=utf-8",
}


def _dictionary_rows(measures) -> list[list[str]]:
    from outcomes.parsing import GROUPS

    example = {"percentage": "22.5,45,200", "rate_10k": "48.1,,", "count": "12,,", "days": "31.5,,"}
    return [
        [
            m.code,
            m.name,
            m.get_unit_display(),
            m.get_polarity_display(),
            m.definition,
            m.numerator,
            m.denominator,
            m.get_frequency_display(),
            m.get_child_aggregation_display(),
            m.get_source_display(),
            m.source_fields,
            str(m.version),
            ", ".join(GROUPS),
            "DD/MM/YYYY (or YYYY-MM-DD)",
            f"{m.code},01/04/2025,30/04/2025,intervention,{example.get(m.unit, '1,,')}",
            CHILD_DATE_COLUMNS if m.child_aggregation != "aggregates_only" else "",
        ]
        for m in measures
    ]


class DataTemplateView(PartnerView):
    """Templates (CSV, XLSX) for an evaluation's outcome data, pre-filled from its plan (each measure
    x group x ended period, values empty), and a data dictionary of the measures it may use: codes,
    definitions, allowed groups, the date format and an example row. The example never reads as
    data: a note row in the CSV, a sheet of its own in the workbook."""

    def scoped_object(self):
        return evaluation_selectors.evaluation_get(partner=self.partner, code=self.kwargs["code"])

    def get(self, request, partner_slug, code, name):
        if name not in CONTENT_TYPES:
            raise Http404("No such file.")
        measures = list(measure_selectors.measure_list(partner=self.partner))
        rows = []
        if name.startswith("template."):
            rows = selectors.template_rows(partner=self.partner, evaluation=self.object, today=timezone.localdate())
        if name == "template.xlsx":
            content = _workbook(measures, rows)
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            if name == "template.csv":
                writer.writerows([TEMPLATE_COLUMNS, [EXAMPLE_NOTE, *EXAMPLE_ROW[1:]], *rows])
            else:
                writer.writerow(DICTIONARY_COLUMNS)
                writer.writerows([[neutralised(cell) for cell in row] for row in _dictionary_rows(measures)])
            content = buffer.getvalue().encode("utf-8-sig")  # Excel reads UTF-8 with a byte-order mark
        response = HttpResponse(content, content_type=CONTENT_TYPES[name])
        response["Content-Disposition"] = f'attachment; filename="pine-outcome-{name}"'
        return response


def _workbook(measures, rows: list[list[str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(TEMPLATE_COLUMNS)
    for row in rows:
        sheet.append(row)
    example = book.create_sheet("Example (not read)")
    example.append(TEMPLATE_COLUMNS)
    example.append(EXAMPLE_ROW)
    for data in (sheet, example):
        for column in ("B", "C"):  # dates as text, so a spreadsheet does not reorder day and month
            for cell in data[column]:
                cell.number_format = "@"
    dictionary = book.create_sheet("Measures (not read)")
    dictionary.append(DICTIONARY_COLUMNS)
    for row in _dictionary_rows(measures):
        dictionary.append([neutralised(cell) for cell in row])  # local measures are partners' own text
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
