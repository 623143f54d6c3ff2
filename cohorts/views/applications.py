"""Pages: the public calls, partners' applications (section by section), and the practice team's
cohorts and screening (the panel and decisions: ``cohorts.views.decisions``)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views import View
from django.views.generic import FormView, TemplateView

from cohorts import pdf
from cohorts.forms.applications import (
    SECTION_FORMS,
    AnswerForm,
    ApplicationStartForm,
    CohortCreateForm,
    CohortForm,
    CohortReviewSettingsForm,
    CohortTransitionForm,
    ConfirmForm,
    ExtensionForm,
    InformationRequestForm,
    LetterForm,
    OutcomesForm,
    ScreeningForm,
)
from cohorts.models import SECTIONS_BY_SLUG, Application, Cohort
from cohorts.selectors import applications as selectors
from cohorts.selectors import enquiries as enquiry_selectors
from cohorts.selectors import events as event_selectors
from cohorts.selectors import stages as stage_selectors
from cohorts.services import applications as services
from cohorts.services import reviews as review_services
from cohorts.services.applications import MAX_LETTER_BYTES
from pine.access import ADMINS, ADMINS_AND_ANALYSTS
from pine.models import Role
from pine.scoping import PartnerView, PracticeView, PublicView
from pine.views import ServiceFormMixin, run_service

# Every application, with who applied: not for reviewers, who see only their assignments (cohorts.views.reviews).


# --- public ----------------------------------------------------------------------------------------


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
        return super().get_context_data(
            cohort=cohort,
            documents=list(event_selectors.document_list_public(cohort=cohort)),
            events=list(event_selectors.event_list_public(cohort=cohort, upcoming_only=True)),
            **kwargs,
        )


# --- partners --------------------------------------------------------------------------------------


class ApplicationCreateView(ServiceFormMixin, PartnerView, FormView):
    """Start an application: the practice's name; the sections follow on the task list."""

    template_name = "cohorts/application_start.html"
    form_class = ApplicationStartForm

    def scoped_object(self):
        return selectors.cohort_get_public(slug=self.kwargs["cohort_slug"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(cohort=self.object, **kwargs)

    def call_service(self, data):
        return services.application_create(partner=self.partner, actor=self.request.user, cohort=self.object, **data)

    def service_done(self, application):
        return redirect("cohorts:application_detail", partner_slug=self.partner.slug, code=application.code)


class PartnerApplicationMixin:
    """A page about one of the partner's applications (``<code>``): ``self.object``."""

    def scoped_object(self):
        return selectors.application_get(partner=self.partner, code=self.kwargs["code"])


class ApplicationDetailView(PartnerApplicationMixin, PartnerView, TemplateView):
    """The task list while the applicant can change the application; its answers after."""

    template_name = "cohorts/application_detail.html"

    def get_context_data(self, **kwargs):
        application = self.object
        summary = selectors.application_summary(application)
        return super().get_context_data(
            application=application,
            summary=summary,
            completed=sum(s.complete for s in summary),
            can_edit=application.edit_refusal() is None,
            can_withdraw=application.can_move_to(Application.Status.WITHDRAWN) and self.access.allows(Role.LEAD),
            revisions=list(selectors.revision_list(partner=self.partner, application=application)),
            messages_thread=list(selectors.message_list(partner=self.partner, application=application)),
            viewer="partner",
            letters=list(selectors.letter_list(partner=self.partner, application=application)),
            enquiries=list(enquiry_selectors.enquiry_list_for_application(partner=self.partner, application=application)),
            **kwargs,
        )


class ApplicationSectionView(PartnerApplicationMixin, ServiceFormMixin, PartnerView, FormView):
    """One section of the application: saves and returns to the task list."""

    def get_template_names(self):
        return [
            "cohorts/application_section_outcomes.html"
            if self._section().slug == "outcomes"
            else "cohorts/application_section.html"
        ]

    def _section(self):
        section = SECTIONS_BY_SLUG.get(self.kwargs["section"])
        application = self.object
        if section is None or section not in application.sections():
            raise Http404("No such section.")
        return section

    def get_form_class(self):
        return SECTION_FORMS[self._section().slug]

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.get_form_class() is OutcomesForm:
            kwargs["measure_choices"] = selectors.measure_choices()
        return kwargs

    def get_initial(self):
        application = self.object
        return {name: getattr(application, name) for name in self._section().fields}

    def get_context_data(self, **kwargs):
        application = self.object
        refusal = application.edit_refusal()
        return super().get_context_data(
            application=application,
            section=self._section(),
            refusal=refusal,
            agencies=list(self.partner.agencies.all()),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if self.object.edit_refusal():
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def call_service(self, data):
        return services.application_update(partner=self.partner, actor=self.request.user, application=self.object, **data)

    def service_done(self, application):
        return redirect("cohorts:application_detail", partner_slug=self.partner.slug, code=application.code)


class ApplicationCheckView(PartnerApplicationMixin, PartnerView, TemplateView):
    """ "Check your answers", then submit: contributors draft, the partner's lead submits."""

    template_name = "cohorts/application_check.html"
    write_role = Role.LEAD

    def get_context_data(self, **kwargs):
        application = self.object
        refusal = application.edit_refusal()
        answering = application.status == Application.Status.MORE_INFORMATION
        return super().get_context_data(
            application=application,
            summary=selectors.application_summary(application),
            problems=services.submission_problems(application),
            refusal=refusal,
            can_change=refusal is None,
            answering=answering,
            answer_form=kwargs.pop("answer_form", None) or (AnswerForm() if answering else None),
            messages_thread=list(selectors.message_list(partner=self.partner, application=application)) if answering else [],
            viewer="partner",
            letter_rows=selectors.letter_checklist(partner=self.partner, application=application),
            **kwargs,
        )

    def post(self, request, partner_slug, code):
        answering = self.object.status == Application.Status.MORE_INFORMATION
        form = AnswerForm(request.POST)  # the page's one button: the service's reasons show above it
        submitted = run_service(
            form,
            lambda: services.application_submit(
                partner=self.partner, actor=request.user, application=self.object, answer=form.cleaned_data["answer"]
            ),
        )
        if not submitted.ok:
            return self.render_to_response(self.get_context_data(errors=form.non_field_errors(), answer_form=form))
        messages.success(
            request,
            "Your response is sent with your application: the practice team will be in touch."
            if answering
            else "Application submitted. The practice team will be in touch.",
        )
        return redirect("cohorts:application_detail", partner_slug=partner_slug, code=code)


class ApplicationWithdrawView(PartnerApplicationMixin, PartnerView, FormView):
    template_name = "cohorts/application_withdraw.html"
    form_class = ConfirmForm
    required_role = Role.LEAD
    write_role = Role.LEAD

    def get_context_data(self, **kwargs):
        return super().get_context_data(application=self.object, **kwargs)

    def form_valid(self, form):
        application = self.object
        if form.cleaned_data["confirm"] == "yes":
            withdrawn = run_service(
                form,
                lambda: services.application_withdraw(partner=self.partner, actor=self.request.user, application=application),
            )
            if not withdrawn.ok:
                return self.form_invalid(form)
            messages.success(self.request, f"You have withdrawn your application to {application.cohort.name}.")
        return redirect("cohorts:application_detail", partner_slug=self.partner.slug, code=application.code)


def letter_download(letter) -> HttpResponse:
    """A letter of support as a download (never shown inline: its type is what the upload checked)."""
    response = HttpResponse(bytes(letter.content), content_type=letter.content_type)
    response["Content-Disposition"] = content_disposition_header(True, letter.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ApplicationLettersView(PartnerApplicationMixin, PartnerView, FormView):
    """Letters of support from the partnership's agencies: the list, and a form to attach one
    while the application can still be changed."""

    template_name = "cohorts/application_letters.html"
    form_class = LetterForm
    write_role = Role.CONTRIBUTOR

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "agencies": list(self.partner.agencies.all())}

    def get_context_data(self, **kwargs):
        application = self.object
        return super().get_context_data(
            application=application,
            letters=list(selectors.letter_list(partner=self.partner, application=application)),
            refusal=application.edit_refusal(),
            **kwargs,
        )

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        attached = run_service(
            form,
            lambda: services.letter_attach(
                partner=self.partner,
                actor=self.request.user,
                application=self.object,
                agency_id=form.cleaned_data["agency"],
                filename=upload.name,
                content=upload.read(MAX_LETTER_BYTES + 1),
            ),
        )
        if not attached.ok:
            return self.form_invalid(form)
        messages.success(self.request, f"The letter from {attached.result.agency.name} is attached.")
        return redirect("cohorts:application_letters", partner_slug=self.partner.slug, code=self.object.code)


class ApplicationLetterView(PartnerApplicationMixin, PartnerView, View):
    """Download one letter (GET), or remove it (POST)."""

    write_role = Role.CONTRIBUTOR

    def _letter(self):
        letter = selectors.letter_get(partner=self.partner, application=self.object, code=self.kwargs["letter"])
        if letter is None:
            raise Http404("No such letter.")
        return letter

    def get(self, request, *args, **kwargs):
        return letter_download(self._letter())

    def post(self, request, *args, **kwargs):
        letter = self._letter()
        removed = run_service(
            request,
            lambda: services.letter_remove(partner=self.partner, actor=request.user, application=self.object, letter=letter),
        )
        if removed.ok:
            messages.success(request, f"The letter from {letter.agency.name} is removed.")
        return redirect("cohorts:application_letters", partner_slug=self.partner.slug, code=self.object.code)


class ApplicationRevisionPdfView(PartnerApplicationMixin, PartnerView, View):
    """A PDF copy of one submitted version of the application (what the partner sent)."""

    def get(self, request, partner_slug, code, number):
        application = self.object
        revision = selectors.revision_get(partner=self.partner, application=application, number=number)
        if revision is None:
            raise Http404("No such version.")
        response = HttpResponse(pdf.revision_pdf(revision), content_type="application/pdf")
        name = slugify(application.practice_title)[:60] or "application"
        response["Content-Disposition"] = f'attachment; filename="{name}-version-{revision.number}.pdf"'
        return response


def _comparison_context(revisions, request) -> dict:
    """The two revisions a comparison page shows: ?from=&to= (numbers), by default the last two."""
    by_number = {r.number: r for r in revisions}
    if len(by_number) < 2:
        raise Http404("Nothing to compare.")
    numbers = sorted(by_number)
    try:
        first = int(request.GET.get("from", numbers[-2]))
        second = int(request.GET.get("to", numbers[-1]))
    except ValueError:
        raise Http404("No such revision.") from None
    if first not in by_number or second not in by_number:
        raise Http404("No such revision.")
    rows = selectors.revision_comparison(by_number[first], by_number[second])
    return {
        "revisions": revisions,
        "before": by_number[first],
        "after": by_number[second],
        "rows": rows,
        "changed_count": sum(r.changed for r in rows),
    }


class ApplicationRevisionCompareView(PartnerApplicationMixin, PartnerView, TemplateView):
    template_name = "cohorts/revision_compare.html"

    def get_context_data(self, **kwargs):
        application = self.object
        revisions = list(selectors.revision_list(partner=self.partner, application=application))
        return super().get_context_data(
            application=application,
            back_url=reverse("cohorts:application_detail", args=[self.partner.slug, application.code]),
            **_comparison_context(revisions, self.request),
            **kwargs,
        )


# --- the practice team -----------------------------------------------------------------------------


class PracticeCohortCreateView(PracticeView, FormView):
    template_name = "cohorts/cohort_form.html"
    form_class = CohortCreateForm
    practice_roles = ADMINS

    def get_context_data(self, **kwargs):
        return super().get_context_data(heading="Create a cohort", button="Create cohort", **kwargs)

    def form_valid(self, form):
        created = run_service(form, lambda: services.cohort_create(actor=self.request.user, **form.cleaned_data))
        if not created.ok:
            return self.form_invalid(form)
        cohort = created.result
        messages.success(
            self.request,
            f"{cohort.name} is created{' and open for applications' if form.cleaned_data['publish'] else ' as a draft'}.",
        )
        return redirect("cohorts:practice_cohort", cohort_slug=cohort.slug)


class PracticeCohortMixin:
    """A practice page about one cohort (``<cohort_slug>``). Pages about a part of a cohort (a
    criterion of its rubric, an event) name that part as their object and the cohort through it."""

    def scoped_object(self):
        return selectors.cohort_get(slug=self.kwargs["cohort_slug"])

    @property
    def cohort(self) -> Cohort:
        return self.object


class PracticeCohortDetailView(PracticeCohortMixin, PracticeView, TemplateView):
    practice_roles = ADMINS_AND_ANALYSTS
    template_name = "cohorts/practice_cohort.html"

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        return super().get_context_data(
            cohort=cohort,
            applications=selectors.application_list_for_practice(cohort=cohort, include_drafts=True),
            can_manage=self.access.has_practice_role(ADMINS),
            transitions=sorted(  # (stage, label, a step back?): forward first
                (
                    (s, Cohort.Status(s).label, Cohort.Status.values.index(s) < Cohort.Status.values.index(cohort.status))
                    for s in cohort.allowed_transitions()
                ),
                key=lambda t: t[2],
            ),
            events=list(event_selectors.event_list(cohort=cohort)),
            documents=list(event_selectors.document_list(cohort=cohort)),
            **kwargs,
        )


class PracticeCohortEditView(PracticeCohortMixin, ServiceFormMixin, PracticeView, FormView):
    """Every detail while the cohort is a draft or open; only its review settings while it is being
    reviewed."""

    template_name = "cohorts/cohort_form.html"
    practice_roles = ADMINS

    @property
    def settings_only(self) -> bool:
        return not self.cohort.is_editable and services.review_settings_editable(self.cohort)

    def get_form_class(self):
        return CohortReviewSettingsForm if self.settings_only else CohortForm

    def get_initial(self):
        cohort = self.cohort
        return {name: getattr(cohort, name) for name in services.COHORT_DETAILS}

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        return super().get_context_data(
            cohort=cohort,
            heading=f"Change the review settings of {cohort.name}" if self.settings_only else f"Change {cohort.name}",
            button="Save changes",
            settings_only=self.settings_only,
            refusal=None if services.review_settings_editable(cohort) else "locked",
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not services.review_settings_editable(self.cohort):
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def call_service(self, data):
        return services.cohort_update(actor=self.request.user, cohort=self.cohort, **data)

    def service_done(self, cohort):
        messages.success(self.request, f"{cohort.name} is saved.")
        return redirect("cohorts:practice_cohort", cohort_slug=cohort.slug)


class PracticeCohortTransitionView(PracticeCohortMixin, ServiceFormMixin, PracticeView, FormView):
    """Move a cohort to another stage: ``?to=<stage>`` shows what the move will do (deadline not
    reached, drafts, unscreened applications, reviews outstanding, who is told) and asks to
    confirm; the confirmation posts here."""

    template_name = "cohorts/cohort_transition.html"
    form_class = CohortTransitionForm
    practice_roles = ADMINS

    def get(self, request, *args, **kwargs):
        to = request.GET.get("to", "")
        if to not in Cohort.Status.values:
            raise Http404("No such stage.")
        return self.render_to_response(self.get_context_data(form=self.form_class(initial={"to": to}), to=to))

    def get_context_data(self, **kwargs):
        to = kwargs.pop("to", None) or self.request.POST.get("to", "")
        move = stage_selectors.stage_move_preview(cohort=self.cohort, to=to) if to in Cohort.Status.values else None
        return super().get_context_data(cohort=self.cohort, move=move, **kwargs)

    def form_invalid(self, form):
        messages.error(self.request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("cohorts:practice_cohort", cohort_slug=self.kwargs["cohort_slug"])

    def call_service(self, data):
        # The confirmation page's button is the confirmation (it showed the same list).
        return services.cohort_transition(actor=self.request.user, cohort=self.cohort, to=data["to"], confirm=True)

    def service_done(self, cohort):
        messages.success(self.request, f"{cohort.name} is now: {cohort.get_status_display().lower()}.")
        return redirect("cohorts:practice_cohort", cohort_slug=cohort.slug)


def practice_application_get(request, code) -> Application | None:
    """One application for a practice-team page: None when missing (a 404); refused, saying why,
    to someone who declared a conflict of interest with it."""
    application = selectors.application_get_for_practice(code=code)
    if application is not None:
        review_services.require_no_conflict(actor=request.user, application=application)
    return application


class PracticeApplicationView(ServiceFormMixin, PracticeView, FormView):
    """One application for the practice team: automatic checks, answers, revisions, and (for
    practice admins) the screening, information request and extension forms. Each form posts to
    its own URL (``action``). Decisions are recorded on the cohort's decisions pages."""

    practice_roles = ADMINS_AND_ANALYSTS

    template_name = "cohorts/practice_application.html"
    form_class = ScreeningForm
    action = "screen"
    http_method_names = ["get", "head", "options"]
    FORMS = {
        "screen": ScreeningForm,
        "request_information": InformationRequestForm,
        "extend_deadline": ExtensionForm,
    }

    def scoped_object(self):
        return practice_application_get(self.request, self.kwargs["code"])

    def get_form_class(self):
        return self.FORMS[self.action]

    def get_context_data(self, **kwargs):
        application = self.object
        forms = {name: cls(prefix=self._prefix(name)) for name, cls in self.FORMS.items()}
        form = kwargs.pop("form", None)
        if form is not None and form.is_bound:
            forms[self.action] = form
        return super().get_context_data(
            application=application,
            form=forms[self.action],
            forms=forms,
            summary=selectors.application_summary(application),
            checks=selectors.screening_checks(application),
            revisions=list(selectors.revision_list(partner=application.partner, application=application)),
            messages_thread=list(selectors.message_list(partner=application.partner, application=application)),
            viewer="practice",
            letters=list(selectors.letter_list(partner=application.partner, application=application)),
            enquiries=list(enquiry_selectors.enquiry_list_for_application(partner=application.partner, application=application)),
            can_decide=self.access.has_practice_role(ADMINS),
            **kwargs,
        )

    @staticmethod
    def _prefix(name: str) -> str | None:
        return name

    def get_prefix(self):
        return self._prefix(self.action)

    def post(self, request, *args, **kwargs):
        if not self.access.has_practice_role(ADMINS):
            raise PermissionDenied("Only a practice admin can do this.")
        return super().post(request, *args, **kwargs)

    def success_message(self, application) -> str:
        return f"{application.partner.name}: “{application.practice_title}” is {application.get_status_display().lower()}."

    def service_done(self, application):
        messages.success(self.request, self.success_message(application))
        return redirect("cohorts:practice_application", code=application.code)


class PracticeApplicationScreenView(PracticeApplicationView):
    action = "screen"
    http_method_names = ["post"]

    def call_service(self, data):
        return services.application_screen(actor=self.request.user, application=self.object, **data)


class PracticeApplicationRequestInformationView(PracticeApplicationView):
    action = "request_information"
    http_method_names = ["post"]

    def call_service(self, data):
        return services.application_request_information(actor=self.request.user, application=self.object, **data)

    def success_message(self, application) -> str:
        return f"Question sent: the application is reopened for {application.partner.name}."


class PracticeApplicationExtendDeadlineView(PracticeApplicationView):
    action = "extend_deadline"
    http_method_names = ["post"]

    def call_service(self, data):
        return services.application_extend_deadline(actor=self.request.user, application=self.object, **data)

    def success_message(self, application) -> str:
        return f"{application.partner.name} has until the new deadline to submit."


class PracticeLetterView(PracticeView, View):
    """A letter of support attached to an application, for the practice team."""

    practice_roles = ADMINS_AND_ANALYSTS

    def scoped_object(self):
        return practice_application_get(self.request, self.kwargs["code"])

    def get(self, request, code, letter):
        application = self.object
        found = selectors.letter_get(partner=application.partner, application=application, code=letter)
        if found is None:
            raise Http404("No such letter.")
        return letter_download(found)


class PracticeRevisionCompareView(PracticeView, TemplateView):
    practice_roles = ADMINS_AND_ANALYSTS
    template_name = "cohorts/revision_compare.html"

    def scoped_object(self):
        return practice_application_get(self.request, self.kwargs["code"])

    def get_context_data(self, **kwargs):
        application = self.object
        revisions = list(selectors.revision_list(partner=application.partner, application=application))
        return super().get_context_data(
            application=application,
            back_url=reverse("cohorts:practice_application", args=[application.code]),
            **_comparison_context(revisions, self.request),
            **kwargs,
        )
