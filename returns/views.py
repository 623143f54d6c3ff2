"""Pages: import a statutory return into an evaluation, and follow an import to its measures."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import TemplateView

from evaluations import services as evaluation_services
from evaluations.forms import PopulationForm
from evaluations.views import EvaluationMixin
from outcomes import services as outcome_services
from pine.scoping import PartnerView
from pine.views import run_service
from returns import selectors, services
from returns.forms import ReturnImportForm


class ReturnImportView(EvaluationMixin, PartnerView, TemplateView):
    """Upload one or several files of a statutory return, choose the periods and groups; a worker
    reads it and hands its measures to the outcome store. Also: the area's population by year,
    which rates per 10,000 need."""

    template_name = "returns/import.html"
    max_upload_bytes = staticmethod(outcome_services.upload_max_bytes)  # pine.middleware.UploadLimitMiddleware

    def get_context_data(self, **kwargs):
        evaluation = self.object
        population = sorted((int(year), count) for year, count in (evaluation.population or {}).items())
        return super().get_context_data(
            evaluation=evaluation,
            form=kwargs.pop("form", None) or ReturnImportForm(initial={"groups": "all", "frequency": ""}),
            population_form=kwargs.pop("population_form", None) or PopulationForm(),
            population=population,
            imports=selectors.return_import_list(partner=self.partner, evaluation=evaluation)[:20],
            **kwargs,
        )

    def post(self, request, partner_slug, code):
        if request.POST.get("action") == "population":
            return self._population(request)
        form = ReturnImportForm(request.POST, request.FILES)
        if getattr(request, "upload_too_large", False):  # refused before the files were read
            form = ReturnImportForm(request.POST)
            form.is_valid()
            form.add_error("files", outcome_services.too_large_message())
            return self.render_to_response(self.get_context_data(form=form))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        queued = run_service(
            form,
            lambda: services.return_import_queue(
                partner=self.partner,
                actor=request.user,
                evaluation=self.object,
                files=[(upload.name, upload) for upload in data["files"]],  # streamed to storage; a worker reads them
                kind=data["kind"] or "",
                dry_run=data["dry_run"],
                frequency=data["frequency"] or "",
                period_from=data["period_from"],
                period_to=data["period_to"],
                groups=data["groups"],
                intervention=data["intervention"].read() if data["intervention"] else None,
                comparison=data["comparison"].read() if data["comparison"] else None,
            ),
            field="files",
        )
        if not queued.ok:
            return self.render_to_response(self.get_context_data(form=form))
        return redirect("returns:detail", partner_slug=partner_slug, code=queued.result.code)

    def _population(self, request):
        form = PopulationForm(request.POST)
        saved = run_service(
            form,
            lambda: evaluation_services.evaluation_population_set(
                partner=self.partner,
                actor=request.user,
                evaluation=self.object,
                population={form.cleaned_data["year"]: form.cleaned_data["children"]},
            ),
        )
        if not saved.ok:
            return self.render_to_response(self.get_context_data(population_form=form))
        messages.success(request, "The population was saved.")
        return redirect("returns:import", partner_slug=self.partner.slug, code=self.object.code)


class ReturnImportDetailView(PartnerView, TemplateView):
    """An import's progress (polled with htmx until the worker has finished), then its result: the
    return's problems, or its measures and the outcome submission they went into."""

    template_name = "returns/detail.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["returns/_status.html"]
        return [self.template_name]

    def scoped_object(self):
        return selectors.return_import_get(partner=self.partner, code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        row = self.object
        measures = services.ordered_measures(row.kind, row.summary.get("measures", {}))
        return super().get_context_data(
            item=row,
            measure_rows=selectors.return_import_measure_rows(partner=self.partner, measures=measures),
            **kwargs,
        )
