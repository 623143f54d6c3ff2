"""Pages: a partner's evaluation, its data uploads and its reports."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from evaluations import selectors, services
from outcomes import selectors as outcome_selectors
from outcomes import services as outcome_services
from outcomes.forms import UploadForm
from pine.scoping import PartnerView


class EvaluationMixin:
    def _evaluation(self):
        evaluation = selectors.evaluation_get(partner=self.partner, code=self.kwargs["code"])
        if evaluation is None:
            raise Http404("No such evaluation.")
        return evaluation


class EvaluationDetailView(EvaluationMixin, PartnerView, TemplateView):
    template_name = "evaluations/evaluation_detail.html"

    def get_context_data(self, **kwargs):
        evaluation = self._evaluation()
        return super().get_context_data(
            evaluation=evaluation,
            submissions=outcome_selectors.submission_list(partner=self.partner, evaluation=evaluation)[:20],
            value_count=outcome_selectors.outcome_value_count(partner=self.partner, evaluation=evaluation),
            reports=selectors.report_list(partner=self.partner, evaluation=evaluation)[:10],
            upload_form=kwargs.pop("upload_form", None) or UploadForm(),
            measures=outcome_selectors.measure_list(),
            **kwargs,
        )

    def post(self, request, partner_slug, code):
        """Upload a file of outcome data."""
        evaluation = self._evaluation()
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(upload_form=form))
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            submission = outcome_services.submission_upload(
                partner=self.partner,
                actor=request.user,
                evaluation=evaluation,
                filename=upload.name,
                content=upload.read(),
            )
        return redirect("outcomes:submission", partner_slug=partner_slug, code=submission.code)


class ReportRequestView(EvaluationMixin, PartnerView):
    def post(self, request, partner_slug, code):
        evaluation = self._evaluation()
        report = services.report_request(partner=self.partner, actor=request.user, evaluation=evaluation)
        messages.success(request, "Your report is being built. This page shows its progress.")
        return redirect("evaluations:report", partner_slug=partner_slug, code=report.code)


class ReportDetailView(PartnerView, TemplateView):
    """A report's progress (the progress part is polled with htmx until it is finished)."""

    template_name = "evaluations/report_detail.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["evaluations/_report_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        report = selectors.report_get(partner=self.partner, code=self.kwargs["code"])
        if report is None:
            raise Http404("No such report.")
        return super().get_context_data(report=report, **kwargs)


REPORT_CONTENT_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def report_file_response(report, content: bytes, kind: str) -> HttpResponse:
    """A report file as a download (for the page and the API alike)."""
    response = HttpResponse(content, content_type=REPORT_CONTENT_TYPES[kind])
    name = f"pine-report-{report.created_at:%Y-%m-%d}-{str(report.code)[:8]}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class ReportDownloadView(PartnerView):
    def get(self, request, partner_slug, code, kind):
        found = selectors.report_file(partner=self.partner, code=code, kind=kind)
        if found is None:
            raise Http404("No such report.")
        return report_file_response(*found, kind)
