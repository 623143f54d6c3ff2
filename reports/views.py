"""Front pages and pages that read across apps: a partner's home (the practice team's home is the
programme dashboard, in ``reports.dashboards``), an evaluation's overview (its data, uploads and
reports), and the reports themselves."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.views.generic import TemplateView

from cohorts.selectors import applications as cohort_selectors
from evaluations import selectors as evaluation_selectors
from evaluations.views import EvaluationMixin
from measures import selectors as measure_selectors
from outcomes import selectors as outcome_selectors
from outcomes import services as outcome_services
from outcomes.forms import UploadForm
from pine.access import ADMINS
from pine.assets import plotly_js
from pine.exports import XLSX_TYPE
from pine.models import Role
from pine.scoping import PartnerView, PracticeView, PublicView
from pine.views import run_service
from reports import selectors, services
from reports.dashboards import views as dashboard_views
from reports.forms import NarrativeForm, SendBackForm

# --- front pages -----------------------------------------------------------------------------------


class PartnerHomeView(PartnerView, TemplateView):
    """A partner's front page: its applications, open calls and evaluations."""

    template_name = "reports/partner_home.html"

    def get_context_data(self, **kwargs):
        applications = list(cohort_selectors.application_list(partner=self.partner))
        applied = {a.cohort_id for a in applications}
        return super().get_context_data(
            applications=applications,
            open_cohorts=[c for c in cohort_selectors.cohort_list_open() if c.pk not in applied],
            evaluations=evaluation_selectors.evaluation_list(partner=self.partner),
            **kwargs,
        )


# --- an evaluation's overview ------------------------------------------------------------------------


class EvaluationOverviewView(EvaluationMixin, PartnerView, TemplateView):
    """An evaluation's page: its data (periods and their approval), its uploads, its reports and the
    form that uploads a file of outcome data."""

    template_name = "reports/evaluation.html"
    max_upload_bytes = staticmethod(outcome_services.upload_max_bytes)  # pine.middleware.UploadLimitMiddleware

    def get_context_data(self, **kwargs):
        evaluation = self.object
        return super().get_context_data(
            evaluation=evaluation,
            submissions=outcome_selectors.submission_list(partner=self.partner, evaluation=evaluation)[:20],
            value_count=outcome_selectors.outcome_value_count(partner=self.partner, evaluation=evaluation),
            periods=outcome_selectors.period_list(partner=self.partner, evaluation=evaluation),
            upload_blocker=evaluation_selectors.evaluation_upload_blocker(partner=self.partner, evaluation=evaluation),
            reports=selectors.report_list(partner=self.partner, evaluation=evaluation)[:10],
            upload_form=kwargs.pop("upload_form", None) or UploadForm(),
            measures=measure_selectors.measure_list(partner=self.partner),
            **dashboard_views.hub_context(partner=self.partner, evaluation=evaluation),
            **kwargs,
        )

    def post(self, request, partner_slug, code):
        """Upload a file of outcome data: a worker checks and stores it; its page shows the progress."""
        evaluation = self.object
        form = UploadForm(request.POST, request.FILES)
        if getattr(request, "upload_too_large", False):  # refused before the file was read
            form = UploadForm(request.POST)
            form.is_valid()
            form.add_error("file", outcome_services.too_large_message())
            return self.render_to_response(self.get_context_data(upload_form=form))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(upload_form=form))
        upload = form.cleaned_data["file"]
        queued = run_service(
            form,
            lambda: outcome_services.submission_queue(
                partner=self.partner,
                actor=request.user,
                evaluation=evaluation,
                filename=upload.name,
                content=upload,  # streamed to storage; a worker reads it
                dry_run=form.cleaned_data["dry_run"],
            ),
            field="file",
        )
        if not queued.ok:
            return self.render_to_response(self.get_context_data(upload_form=form))
        return redirect("outcomes:submission", partner_slug=partner_slug, code=queued.result.code)


# --- reports ----------------------------------------------------------------------------------------


class ReportRequestView(EvaluationMixin, PartnerView):
    def post(self, request, partner_slug, code):
        evaluation = self.object
        try:
            report = services.report_request(partner=self.partner, actor=request.user, evaluation=evaluation)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("reports:evaluation", partner_slug=partner_slug, code=code)
        # No flash message: "being built" is part of the progress, which the page swaps for "ready".
        return redirect("reports:report", partner_slug=partner_slug, code=report.code)


class ReportDetailView(PartnerView, TemplateView):
    """A report's progress (the progress part is polled with htmx until it is finished)."""

    template_name = "reports/report_detail.html"

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "report-publication":
            return ["reports/_report_publication.html"]  # marking final: its progress
        if self.request.htmx:
            return ["reports/_report_progress.html"]
        return [self.template_name]

    def scoped_object(self):
        return selectors.report_get(partner=self.partner, code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        report = self.object
        if "narrative_form" not in kwargs:
            kwargs["narrative_form"] = NarrativeForm(initial={"narrative": report.narrative})
        return super().get_context_data(
            report=report,
            finalisation=selectors.report_finalisation_latest(partner=self.partner, report=report),
            draft_cannot_be_final=services.DRAFT_CANNOT_BE_FINAL,
            **kwargs,
        )


REPORT_CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "xlsx": XLSX_TYPE,
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def report_filename(report, kind: str) -> str:
    """Partner, evaluation, date and version, e.g. northshire-family-group-conferencing-2026-12-06-v3.pdf."""
    name = slugify(f"{report.partner.name} {report.evaluation.title}")[:80].strip("-")
    draft = "-draft" if report.draft else ""
    return f"{name}-{report.created_at:%Y-%m-%d}-v{report.version or 0}{draft}.{kind}"


def report_file_response(report, content: bytes, kind: str) -> HttpResponse:
    """A report file as a download (for the page and the API alike)."""
    response = HttpResponse(content, content_type=REPORT_CONTENT_TYPES[kind])
    name = report_filename(report, kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class ReportDownloadView(PartnerView):
    def get(self, request, partner_slug, code, kind):
        found = selectors.report_file(partner=self.partner, code=code, kind=kind)
        if found is None:
            raise Http404("No such report.")
        return report_file_response(*found, kind)


# --- final, approval and publication ------------------------------------------------------------------


class ReportNarrativeView(ReportDetailView):
    """Save the partner's key messages (a lead's), or save them and mark the version final."""

    write_role = Role.LEAD
    http_method_names = ["post"]

    def post(self, request, partner_slug, code):
        form = NarrativeForm(request.POST)
        saved = run_service(
            form,
            lambda: services.report_narrative_update(
                partner=self.partner, actor=request.user, report=self.object, narrative=form.cleaned_data["narrative"]
            ),
            field="narrative",
        )
        if not saved.ok:
            return self.render_to_response(self.get_context_data(narrative_form=form))
        if "final" not in request.POST:
            messages.success(request, "Your key messages are saved.")
            return redirect("reports:report", partner_slug=partner_slug, code=code)
        final = run_service(
            request, lambda: services.report_mark_final(partner=self.partner, actor=request.user, report=self.object)
        )
        if final.ok:
            messages.success(
                request,
                "Your report is being marked final: this page shows the progress. Once it is final the practice team "
                "is asked to approve it for publication.",
            )
        return redirect("reports:report", partner_slug=partner_slug, code=code)


class PracticeReportListView(PracticeView, TemplateView):
    """Final reports waiting for a practice admin's approval."""

    template_name = "reports/practice_reports.html"
    practice_roles = ADMINS

    def get_context_data(self, **kwargs):
        return super().get_context_data(reports=selectors.report_list_awaiting_approval()[:100], **kwargs)


class PracticeReportView(PracticeView, TemplateView):
    """A final report: approve it for publication or send it back with a reason."""

    template_name = "reports/practice_report.html"
    practice_roles = ADMINS

    def scoped_object(self):
        return selectors.report_get_for_practice(code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        kwargs.setdefault("send_back_form", SendBackForm())
        return super().get_context_data(report=self.object, **kwargs)

    def post(self, request, code):
        if "approve" in request.POST:
            approved = run_service(request, lambda: services.report_approve(actor=request.user, report=self.object))
            if approved.ok:
                messages.success(request, "The report is approved and published.")
                return redirect("reports:practice_reports")
            return redirect("reports:practice_report", code=code)
        form = SendBackForm(request.POST)
        sent = run_service(
            form, lambda: services.report_send_back(actor=request.user, report=self.object, reason=form.cleaned_data["reason"])
        )
        if not sent.ok:
            return self.render_to_response(self.get_context_data(send_back_form=form))
        messages.success(request, "The report is sent back to its partner's lead.")
        return redirect("reports:practice_reports")


class PublishedListView(PublicView, TemplateView):
    """Published evaluations, for anyone: searchable and filterable by cohort and theme. It reads
    only the partner-less published copies (reports.models.PublishedReport)."""

    template_name = "reports/published.html"

    def get_context_data(self, **kwargs):
        text = self.request.GET.get("q", "")[:200]
        cohort = self.request.GET.get("cohort", "")[:200]
        theme = self.request.GET.get("theme", "")[:200]
        cohorts, themes = selectors.published_filter_choices()
        return super().get_context_data(
            published=selectors.published_report_list(text=text, cohort=cohort, theme=theme)[:100],
            q=text,
            cohort=cohort,
            theme=theme,
            cohorts=cohorts,
            themes=themes,
            **kwargs,
        )


class PublishedDownloadView(PublicView):
    """A published report's file, for anyone; each download is counted in the audit trail."""

    def get(self, request, code, kind):
        found = services.published_report_download(code=code, kind=kind)
        if found is None:
            raise Http404("No such report.")
        published, content = found
        response = HttpResponse(content, content_type=REPORT_CONTENT_TYPES[kind])
        name = slugify(f"{published.partner_name} {published.evaluation_title}")[:80].strip("-")
        response["Content-Disposition"] = f'attachment; filename="{name}-v{published.version}.{kind}"'
        return response


# --- plotly.js ------------------------------------------------------------------------------------


class PlotlyJsView(PublicView):
    """plotly.js from the installed package, for report HTML files (which load it rather than carry
    3.5 MB each). The version is in the address, so a browser may keep it for a year."""

    def get(self, request, version):
        path, installed = plotly_js()
        if version != installed:
            raise Http404("No such version of plotly.js.")
        response = FileResponse(path.open("rb"), content_type="text/javascript; charset=utf-8")
        response["Cache-Control"] = "public, max-age=31536000, immutable"
        response["Access-Control-Allow-Origin"] = "*"  # a downloaded report opens from the disk
        return response
