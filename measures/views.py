"""Pages: the measures a partner may use (the library and its own local measures), and the
practice team's measure library and promotion of local measures. (A partner's list of measures and
the page that adds a local measure to an evaluation are the evaluation's: ``evaluations.views``.)"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from measures import selectors, services
from measures.forms import MeasureForm
from pine.access import ADMINS
from pine.forms import GovukForm
from pine.models import Role
from pine.scoping import PartnerView, PracticeView
from pine.views import run_service


def _measure_context(measure) -> dict:
    return {
        "measure": measure,
        "rows": selectors.measure_definition_rows(measure),
        "history": selectors.measure_history(measure),
    }


class MeasureDetailView(PartnerView, TemplateView):
    """A library measure or one of this partner's local measures (another partner's: 404)."""

    template_name = "measures/measure_detail.html"

    def scoped_object(self):
        return selectors.measure_get(partner=self.partner, code=self.kwargs["measure_code"])

    def get_context_data(self, **kwargs):
        measure = self.object
        return super().get_context_data(
            **_measure_context(measure), can_edit=measure.is_local and self.membership.allows(Role.CONTRIBUTOR), **kwargs
        )


class LocalMeasureEditView(PartnerView, TemplateView):
    """A lead or contributor changes one of their local measures: a new version, the old one kept."""

    template_name = "measures/measure_form.html"
    required_role = Role.CONTRIBUTOR

    def scoped_object(self):
        return selectors.local_measure_get(partner=self.partner, code=self.kwargs["measure_code"])

    def get_context_data(self, **kwargs):
        measure = self.object
        return super().get_context_data(
            form=kwargs.pop("form", None) or MeasureForm(initial=MeasureForm.initial_from(measure)),
            heading=f"Change {measure.name}",
            caption=f"Local measure {measure.code}, version {measure.version}",
            button="Save as a new version",
            back=reverse("measures:measure", args=[self.partner.slug, measure.code]),
            **kwargs,
        )

    def post(self, request, partner_slug, measure_code):
        local = self.object
        form = MeasureForm(request.POST)
        saved = run_service(
            form,
            lambda: services.measure_local_update(
                partner=self.partner, actor=request.user, measure=local, **form.definition_fields()
            ),
        )
        if not saved.ok:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, "Measure saved.")
        return redirect("measures:measure", partner_slug=partner_slug, measure_code=local.code)


class PracticeLibraryView(PracticeView, TemplateView):
    """The shared measure library, for the practice team."""

    template_name = "measures/practice_library.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(measures=selectors.library_measure_list(), **kwargs)


class _PracticeLibraryMeasureMixin:
    def scoped_object(self):
        return selectors.library_measure_get(code=self.kwargs["measure_code"])


class PracticeMeasureView(_PracticeLibraryMeasureMixin, PracticeView, TemplateView):
    """A library measure with its versions; practice admins may change it."""

    template_name = "measures/practice_measure.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**_measure_context(self.object), can_edit=self.access.has_practice_role(ADMINS), **kwargs)


class PracticeMeasureEditView(_PracticeLibraryMeasureMixin, PracticeView, TemplateView):
    """A practice admin changes a library measure: a new version, the old one kept in its history."""

    template_name = "measures/measure_form.html"
    practice_roles = ADMINS

    def get_context_data(self, **kwargs):
        measure = self.object
        return super().get_context_data(
            form=kwargs.pop("form", None) or MeasureForm(initial=MeasureForm.initial_from(measure)),
            heading=f"Change {measure.name}",
            caption=f"Library measure {measure.code}, version {measure.version}",
            button="Save as a new version",
            intro="A change is saved as a new version; the earlier definition stays in the measure's history, so data "
            "already sent keeps meaning what it meant.",
            back=reverse("measures:practice_measure", args=[measure.code]),
            **kwargs,
        )

    def post(self, request, measure_code):
        library_measure = self.object
        form = MeasureForm(request.POST)
        saved = run_service(
            form, lambda: services.measure_update(actor=request.user, measure=library_measure, **form.definition_fields())
        )
        if not saved.ok:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, "Measure saved.")
        return redirect("measures:practice_measure", measure_code=library_measure.code)


class PracticeLocalMeasuresView(PracticeView, TemplateView):
    """Every partner's local measures, with a Promote action for practice admins."""

    template_name = "measures/practice_local_measures.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            measures=selectors.local_measure_list_for_practice(),
            can_promote=self.access.has_practice_role(ADMINS),
            **kwargs,
        )


class PracticePromoteView(PracticeView, TemplateView):
    """A practice admin promotes a local measure into the shared library."""

    template_name = "measures/practice_promote.html"
    practice_roles = ADMINS

    def scoped_object(self):
        return selectors.local_measure_get_for_practice(
            partner_slug=self.kwargs["partner_slug"], code=self.kwargs["measure_code"]
        )

    def get_context_data(self, **kwargs):
        measure = self.object
        return super().get_context_data(
            measure=measure, rows=selectors.measure_definition_rows(measure), errors=kwargs.pop("errors", []), **kwargs
        )

    def post(self, request, partner_slug, measure_code):
        confirm = GovukForm(request.POST)  # the page's one button: the service's reasons show above it
        promoted = run_service(confirm, lambda: services.measure_promote(actor=request.user, measure=self.object))
        if not promoted.ok:
            return self.render_to_response(self.get_context_data(errors=confirm.non_field_errors()))
        promoted = promoted.result
        messages.success(request, f"{promoted.name} is now in the measure library, with the code {promoted.code}.")
        return redirect("measures:practice_measure", measure_code=promoted.code)
