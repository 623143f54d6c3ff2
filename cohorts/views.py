"""Pages: the public calls, partners' applications, and the practice team's cohorts and decisions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from cohorts import selectors, services
from cohorts.forms import ApplicationForm, CohortForm, DecisionForm
from evaluations import selectors as evaluation_selectors
from pine.models import Role
from pine.scoping import PartnerView, PracticeView, PublicView
from pine.views import add_form_errors


class PublicCohortListView(PublicView, TemplateView):
    template_name = "cohorts/public_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(open_cohorts=selectors.cohort_list_open(), **kwargs)


class PublicCohortDetailView(PublicView, TemplateView):
    template_name = "cohorts/public_detail.html"

    def get_context_data(self, **kwargs):
        cohort = selectors.cohort_get_public(slug=self.kwargs["cohort_slug"])
        if cohort is None:
            raise Http404("No such call.")
        return super().get_context_data(cohort=cohort, **kwargs)


class PartnerHomeView(PartnerView, TemplateView):
    """A partner's front page: its applications, open calls and evaluations."""

    template_name = "cohorts/partner_home.html"

    def get_context_data(self, **kwargs):
        applications = list(selectors.application_list(partner=self.partner))
        applied = {a.cohort_id for a in applications}
        return super().get_context_data(
            applications=applications,
            open_cohorts=[c for c in selectors.cohort_list_open() if c.pk not in applied],
            evaluations=evaluation_selectors.evaluation_list(partner=self.partner),
            **kwargs,
        )


class ApplicationCreateView(PartnerView, FormView):
    template_name = "cohorts/application_form.html"
    form_class = ApplicationForm

    def _cohort(self):
        cohort = selectors.cohort_get_public(slug=self.kwargs["cohort_slug"])
        if cohort is None:
            raise Http404("No such call.")
        return cohort

    def get_context_data(self, **kwargs):
        return super().get_context_data(cohort=self._cohort(), **kwargs)

    def form_valid(self, form):
        try:
            with transaction.atomic():
                application = services.application_create(
                    partner=self.partner, actor=self.request.user, cohort=self._cohort(), **form.cleaned_data
                )
        except ValidationError as error:
            add_form_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Your draft is saved. Check it, then submit it.")
        return redirect("cohorts:application_detail", partner_slug=self.partner.slug, code=application.code)


class ApplicationDetailView(PartnerView, TemplateView):
    """An application as its partner sees it ("check your answers"), with the submit button for
    the partner's lead: leads submit, contributors draft."""

    template_name = "cohorts/application_detail.html"
    write_role = Role.LEAD

    def _application(self):
        application = selectors.application_get(partner=self.partner, code=self.kwargs["code"])
        if application is None:
            raise Http404("No such application.")
        return application

    def get_context_data(self, **kwargs):
        return super().get_context_data(application=self._application(), **kwargs)

    def post(self, request, partner_slug, code):
        application = self._application()
        try:
            with transaction.atomic():
                services.application_submit(partner=self.partner, actor=request.user, application=application)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(errors=error.messages))
        messages.success(request, "Application submitted. The practice team will be in touch.")
        return redirect("cohorts:application_detail", partner_slug=partner_slug, code=code)


class PracticeHomeView(PracticeView, TemplateView):
    template_name = "cohorts/practice_home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cohorts=selectors.cohort_list(),
            applications=selectors.application_list_for_practice()[:50],
            evaluations=evaluation_selectors.evaluation_list_for_practice()[:50],
            **kwargs,
        )


class PracticeCohortCreateView(PracticeView, FormView):
    template_name = "cohorts/cohort_form.html"
    form_class = CohortForm
    practice_roles = frozenset({"practice_admin"})

    def form_valid(self, form):
        try:
            with transaction.atomic():
                cohort = services.cohort_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            add_form_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{cohort.name} is created{' and open for applications' if form.cleaned_data['publish'] else ' as a draft'}.",
        )
        return redirect("cohorts:practice_cohort", cohort_slug=cohort.slug)


class PracticeCohortDetailView(PracticeView, TemplateView):
    template_name = "cohorts/practice_cohort.html"

    def get_context_data(self, **kwargs):
        cohort = selectors.cohort_get(slug=self.kwargs["cohort_slug"])
        if cohort is None:
            raise Http404("No such cohort.")
        return super().get_context_data(
            cohort=cohort, applications=selectors.application_list_for_practice(cohort=cohort), **kwargs
        )


class PracticeApplicationView(PracticeView, FormView):
    """One application for the practice team, with the decision form for practice admins."""

    template_name = "cohorts/practice_application.html"
    form_class = DecisionForm

    def _application(self):
        application = selectors.application_get_for_practice(code=self.kwargs["code"])
        if application is None:
            raise Http404("No such application.")
        return application

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            application=self._application(), can_decide=self.request.user.practice_role == "practice_admin", **kwargs
        )

    def form_valid(self, form):
        if self.request.user.practice_role != "practice_admin":
            raise PermissionDenied("Only a practice admin can decide an application.")
        application = self._application()
        try:
            with transaction.atomic():
                application = services.application_decide(
                    actor=self.request.user, application=application, decision=form.cleaned_data["decision"]
                )
        except ValidationError as error:
            add_form_errors(form, error)
            return self.form_invalid(form)
        outcome = application.get_status_display().lower()
        messages.success(self.request, f"{application.partner.name}: “{application.practice_title}” is {outcome}.")
        return redirect("cohorts:practice_application", code=application.code)
