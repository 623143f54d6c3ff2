"""Pages: the practice team's read-only views of one partner's evaluation, under
``/practice/evaluations/<code>/`` (the overview itself, with milestones and meetings, is
``evaluations.views.PracticeEvaluationView``): its outcome data as tables and charts, its uploads
with their problems, warnings and explanations, the history of its values, its theory of change,
its plan and the plan's versions, its onboarding with the data sharing agreement, and its reports.

For practice admins and analysts only (reviewers see only the applications they review). Each
page reads the evaluation once, across partners as the practice team does, and everything else
through selectors scoped to the evaluation's partner."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.generic import TemplateView

from evaluations import selectors as evaluation_selectors
from evaluations import services as evaluation_services
from evaluations import theory
from outcomes import selectors as outcome_selectors
from pine.scoping import PracticeView
from reports import evaluation_data, selectors, services
from reports.views import report_file_response

UPLOADS_PER_PAGE = 50
HISTORY_PER_PAGE = 100


class PracticeEvaluationPage(PracticeView, TemplateView):
    """One section of an evaluation's practice pages: ``section`` marks it in the sub-navigation."""

    section = ""

    def scoped_object(self):
        return evaluation_selectors.evaluation_get_for_practice(code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(evaluation=self.object, section=self.section, **kwargs)


def _version_number(request, name: str) -> int | None:
    """A version number from the query string: None when not given; a 404 (never a 500) when it
    is not a small whole number."""
    value = request.GET.get(name, "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 4:
        raise Http404("No such version.")
    return int(value)


class DataView(PracticeEvaluationPage):
    """Each measure's current values: a chart, and the table that gives the same values in words."""

    template_name = "reports/practice_evaluation/data.html"
    section = "data"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        frame = outcome_selectors.outcome_frame(partner=evaluation.partner, evaluation=evaluation)
        figures = evaluation_data.measure_figures(frame) if len(frame) else {}
        tables = [
            {**table, "figure": figures[table["code"]], "figure_id": f"figure-{table['code']}"}
            for table in evaluation_data.measure_tables(frame)
        ]
        return super().get_context_data(tables=tables, **kwargs)


class UploadListView(PracticeEvaluationPage):
    template_name = "reports/practice_evaluation/uploads.html"
    section = "uploads"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        uploads = outcome_selectors.submission_list(partner=evaluation.partner, evaluation=evaluation)
        page = Paginator(uploads, UPLOADS_PER_PAGE).get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, **kwargs)


class UploadDetailView(PracticeEvaluationPage):
    """One upload: its status, problems, warnings, the uploader's explanation and what it changed."""

    template_name = "reports/practice_evaluation/upload.html"
    section = "uploads"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        submission = outcome_selectors.submission_get(partner=evaluation.partner, code=self.kwargs["upload_code"])
        if submission is None or submission.evaluation_id != evaluation.pk:
            raise Http404("No such upload.")
        return super().get_context_data(submission=submission, counts=submission.change_counts(), **kwargs)


class ValueHistoryView(PracticeEvaluationPage):
    """Every value a later upload replaced: old -> new, and which upload brought each."""

    template_name = "reports/practice_evaluation/value_history.html"
    section = "history"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        history = outcome_selectors.outcome_value_history(partner=evaluation.partner, evaluation=evaluation)
        page = Paginator(history, HISTORY_PER_PAGE).get_page(self.request.GET.get("page"))
        changes = [(old, _shown(old), _shown(old.superseded_by)) for old in page.object_list]
        return super().get_context_data(page=page, changes=changes, **kwargs)


def _shown(value) -> str:
    """A stored value as the tables show it: the value, and its counts when it has them."""
    if value is None:
        return "–"
    shown = evaluation_data.NOT_ESTIMABLE if value.value is None else evaluation_data.number(value.value)
    if value.numerator is None or value.denominator is None:
        return shown
    return f"{shown} ({value.numerator:,} of {value.denominator:,})"


class TheoryView(PracticeEvaluationPage):
    """The theory of change as the partner sees it (``?version=N`` for an earlier one), read-only."""

    template_name = "reports/practice_evaluation/theory.html"
    section = "theory"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        partner, version = evaluation.partner, _version_number(self.request, "version")
        versions = list(evaluation_selectors.theory_versions(partner=partner, evaluation=evaluation))
        shown = next((v for v in versions if v.version == version), None) if version else (versions[0] if versions else None)
        if version and shown is None:
            raise Http404("No such version.")
        columns = []
        if shown:
            for kind, _prefix, label in theory.KINDS:
                columns.append((label, [e for e in shown.content["elements"] if e["kind"] == kind]))
        return super().get_context_data(
            shown=shown,
            current=versions[0] if versions else None,
            versions=versions,
            diagram=theory.svg(shown.content, title=f"Theory of change: {evaluation.title}") if shown else "",
            columns=columns,
            links=shown.content["links"] if shown else [],
            **kwargs,
        )


class PlanView(PracticeEvaluationPage):
    """The current plan, its versions, and two versions compared field by field
    (``?from=1&to=2``; by default the two newest)."""

    template_name = "reports/practice_evaluation/plan.html"
    section = "plan"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        versions = list(evaluation_selectors.plan_versions(partner=evaluation.partner, evaluation=evaluation))
        plan = versions[0] if versions else None
        context = {"plan": plan, "versions": versions, "rows": evaluation_selectors.plan_summary(plan)}
        if plan and plan.status == plan.Status.DRAFT:
            context["missing"] = plan.missing_for_sign_off()
        if len(versions) > 1:
            by_number = {v.version: v for v in versions}
            older = by_number.get(_version_number(self.request, "from") or versions[1].version)
            newer = by_number.get(_version_number(self.request, "to") or versions[0].version)
            if older is None or newer is None:
                raise Http404("No such version.")
            context.update(older=older, newer=newer, comparison=evaluation_selectors.plan_comparison(older, newer))
        return super().get_context_data(**context, **kwargs)


class OnboardingView(PracticeEvaluationPage):
    """The onboarding checklist and its dates, and the data sharing agreement to download."""

    template_name = "reports/practice_evaluation/onboarding.html"
    section = "onboarding"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        onboarding = evaluation_selectors.onboarding_get(partner=evaluation.partner, evaluation=evaluation)
        today = timezone.localdate()
        return super().get_context_data(
            onboarding=onboarding,
            checklist=onboarding.checklist_statuses(today),
            dsa_in_force=onboarding.dsa_in_force(today),
            upload_blocker=evaluation_selectors.evaluation_upload_blocker(partner=evaluation.partner, evaluation=evaluation),
            **kwargs,
        )


class AgreementDownloadView(PracticeView):
    """The signed data sharing agreement as a file; the download is audited."""

    def scoped_object(self):
        return evaluation_selectors.evaluation_get_for_practice(code=self.kwargs["code"])

    def get(self, request, code):
        evaluation = self.object
        found = evaluation_services.onboarding_dsa_download(partner=evaluation.partner, actor=request.user, evaluation=evaluation)
        if found is None:
            raise Http404("No agreement uploaded.")
        filename, content = found
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename)}"'
        return response


def _safe_filename(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._- ")[:100] or "document"


class ReportListView(PracticeEvaluationPage):
    template_name = "reports/practice_evaluation/reports.html"
    section = "reports"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        return super().get_context_data(
            reports=selectors.report_list(partner=evaluation.partner, evaluation=evaluation), **kwargs
        )


class ReportDownloadView(PracticeView):
    """A finished report of the evaluation as a file (HTML or PDF); the download is audited."""

    def scoped_object(self):
        return evaluation_selectors.evaluation_get_for_practice(code=self.kwargs["code"])

    def get(self, request, code, report_code, kind):
        evaluation = self.object
        found = services.report_download(
            partner=evaluation.partner, actor=request.user, evaluation=evaluation, code=report_code, kind=kind
        )
        if found is None:
            raise Http404("No such report.")
        return report_file_response(*found, kind)
