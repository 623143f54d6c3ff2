"""Pages: a partner's evaluation workspace (onboarding, milestones, meetings, plan, theory of change,
local measures) and the practice team's view of it. The evaluation's overview page, its data and its
reports are built on these: ``reports.views``."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView

from evaluations import selectors, services, theory
from evaluations.forms import (
    ElementForm,
    MeetingForm,
    MilestoneForm,
    OnboardingForm,
    PlanForm,
    PlanNewVersionForm,
    PlanReviewForm,
    TheoryForm,
)
from measures import selectors as measure_selectors
from measures import services as measure_services
from measures.forms import LocalMeasureForm
from pine.access import ADMINS
from pine.models import Role
from pine.scoping import PartnerView, PracticeView
from pine.validators import document_kind
from pine.views import ServiceFormMixin, run_service


class EvaluationMixin:
    """A page about one of the partner's evaluations (``<code>`` in its URL): ``self.object``."""

    def scoped_object(self):
        return selectors.evaluation_get(partner=self.partner, code=self.kwargs["code"])


# --- the evaluation workspace: onboarding, milestones, meetings -----------------------------------


class OnboardingView(EvaluationMixin, PartnerView, TemplateView):
    """The onboarding checklist in one form (saving one item never loses edits in another). The
    data sharing agreement gates uploads once the practice team has verified it."""

    template_name = "evaluations/onboarding.html"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        onboarding = selectors.onboarding_get(partner=self.partner, evaluation=evaluation)
        form = kwargs.pop("form", None) or OnboardingForm(
            initial=OnboardingForm.initial_from(onboarding), has_document=bool(onboarding.dsa_filename)
        )
        return super().get_context_data(
            evaluation=evaluation,
            onboarding=onboarding,
            checklist=onboarding.checklist_statuses(timezone.localdate()),
            form=form,
            upload_blocker=selectors.evaluation_upload_blocker(partner=self.partner, evaluation=evaluation),
            **kwargs,
        )

    def post(self, request, partner_slug, code):
        evaluation = self.object
        onboarding = selectors.onboarding_get(partner=self.partner, evaluation=evaluation)
        form = OnboardingForm(request.POST, request.FILES, has_document=bool(onboarding.dsa_filename))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        document = form.cleaned_data.get("document")
        dsa_file = (document.name, document.read()) if document is not None else None
        saved = run_service(
            form,
            lambda: services.onboarding_update(
                partner=self.partner, actor=request.user, evaluation=evaluation, dsa_file=dsa_file, **form.onboarding_fields()
            ),
        )
        if not saved.ok:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, "Onboarding saved.")
        return redirect("evaluations:onboarding", partner_slug=partner_slug, code=code)


class DsaDocumentView(EvaluationMixin, PartnerView):
    def get(self, request, partner_slug, code):
        found = selectors.onboarding_dsa_document(partner=self.partner, evaluation=self.object)
        if found is None:
            raise Http404("No agreement uploaded.")
        return _agreement_response(*found)


AGREEMENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _agreement_response(filename: str, content: bytes) -> HttpResponse:
    """The agreement as its own type, so a browser opens a PDF in place (a Word file downloads);
    anything recorded before types were checked downloads as bytes."""
    kind = document_kind(content)
    response = HttpResponse(content, content_type=AGREEMENT_TYPES.get(kind, "application/octet-stream"))
    disposition = "inline" if kind == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{_safe_filename(filename)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _safe_filename(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._- ")[:100] or "document"


class MilestoneListView(EvaluationMixin, PartnerView, TemplateView):
    template_name = "evaluations/milestones.html"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        today = timezone.localdate()
        milestones = [(m, m.is_overdue(today)) for m in selectors.milestone_list(partner=self.partner, evaluation=evaluation)]
        meetings = selectors.meeting_list(partner=self.partner, evaluation=evaluation)
        return super().get_context_data(evaluation=evaluation, milestones=milestones, meetings=meetings, **kwargs)


class MilestoneEditView(ServiceFormMixin, PartnerView, FormView):
    template_name = "evaluations/milestone_form.html"
    form_class = MilestoneForm

    def scoped_object(self):
        return selectors.milestone_get(partner=self.partner, code=self.kwargs["code"])

    def get_initial(self):
        m = self.object
        return {"status": m.status, "due_on": m.due_on, "owner": m.owner, "notes": m.notes}

    def get_context_data(self, **kwargs):
        return super().get_context_data(milestone=self.object, **kwargs)

    def call_service(self, data):
        return services.milestone_update(partner=self.partner, actor=self.request.user, milestone=self.object, **data)

    def service_done(self, milestone):
        messages.success(self.request, f"{milestone.get_kind_display()} updated.")
        return redirect("evaluations:milestones", partner_slug=self.partner.slug, code=milestone.evaluation.code)


class MeetingCreateView(EvaluationMixin, ServiceFormMixin, PartnerView, FormView):
    template_name = "evaluations/meeting_form.html"
    form_class = MeetingForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(evaluation=self.object, **kwargs)

    def call_service(self, data):
        return services.meeting_log(partner=self.partner, actor=self.request.user, evaluation=self.object, **data)

    def service_done(self, meeting):
        messages.success(self.request, "Meeting logged.")
        return redirect("evaluations:milestones", partner_slug=self.partner.slug, code=self.object.code)


class PracticeEvaluationView(ServiceFormMixin, PracticeView, FormView):
    """One evaluation for the practice team: where it stands (onboarding, plan, milestones, meetings);
    they log meetings here. Its other sections (data, uploads, plan versions, reports...) are the
    read-only pages of ``reports.practice_evaluation``."""

    template_name = "evaluations/practice_evaluation.html"
    form_class = MeetingForm

    def scoped_object(self):
        return selectors.evaluation_get_for_practice(code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        evaluation = self.object
        partner, today = evaluation.partner, timezone.localdate()
        onboarding = selectors.onboarding_get(partner=partner, evaluation=evaluation)
        plan = selectors.plan_current(partner=partner, evaluation=evaluation)
        return super().get_context_data(
            evaluation=evaluation,
            section="overview",  # of the sub-navigation its other pages share (reports.practice_evaluation)
            plan=plan,
            plan_missing=plan.missing_for_sign_off() if plan else [],
            plan_reviews=selectors.plan_reviews(partner=partner, evaluation=evaluation),
            review_form=PlanReviewForm(prefix=None),
            checklist=onboarding.checklist_statuses(today),
            milestones=[(m, m.is_overdue(today)) for m in selectors.milestone_list(partner=partner, evaluation=evaluation)],
            meetings=selectors.meeting_list(partner=partner, evaluation=evaluation),
            **kwargs,
        )

    def call_service(self, data):
        evaluation = self.object
        return services.meeting_log(partner=evaluation.partner, actor=self.request.user, evaluation=evaluation, **data)

    def service_done(self, meeting):
        messages.success(self.request, "Meeting logged.")
        return redirect("evaluations:practice_evaluation", code=self.object.code)


# --- the evaluation plan -------------------------------------------------------------------------


class PlanView(EvaluationMixin, PartnerView, TemplateView):
    """The current plan: editable while it is a draft; a signed-off plan offers a new version."""

    template_name = "evaluations/plan.html"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        plan = selectors.plan_current(partner=self.partner, evaluation=evaluation)
        measures = list(measure_selectors.measure_list(partner=self.partner))
        editable = plan is None or plan.status in (plan.Status.DRAFT, plan.Status.SUBMITTED)
        reviews = list(selectors.plan_reviews(partner=self.partner, evaluation=evaluation))
        context = {
            "evaluation": evaluation,
            "plan": plan,
            "editable": editable,
            "versions": selectors.plan_versions(partner=self.partner, evaluation=evaluation),
            "rows": selectors.plan_summary(plan),
            "missing": plan.missing_for_sign_off() if plan and editable else [],
            "reviews": reviews,
            "last_review": reviews[-1] if reviews and plan and reviews[-1].plan_id == plan.pk else None,
        }
        if editable:
            initial = PlanForm.initial_from(
                plan,
                measures=selectors.plan_initial_measures(partner=self.partner, evaluation=evaluation) if plan is None else (),
            )
            context["form"] = kwargs.pop("form", None) or PlanForm(initial=initial, measures=measures)
        else:
            context["version_form"] = kwargs.pop("version_form", None) or PlanNewVersionForm()
        return super().get_context_data(**context, **kwargs)

    def post(self, request, partner_slug, code):
        evaluation = self.object
        submit = request.POST.get("action") == "submit"
        if submit and not any(name in request.POST for name in PlanForm.base_fields):  # a bare submit
            submitted = run_service(
                request, lambda: services.plan_submit(partner=self.partner, actor=request.user, evaluation=evaluation)
            )
            if submitted.ok:
                messages.success(request, "Plan submitted to the practice team for sign-off.")
            return redirect("evaluations:plan", partner_slug=partner_slug, code=code)
        if "reason" in request.POST:
            form = PlanNewVersionForm(request.POST)
            started = run_service(
                form,
                lambda: services.plan_new_version(
                    partner=self.partner, actor=request.user, evaluation=evaluation, reason=form.cleaned_data["reason"]
                ),
            )
            if not started.ok:
                return self.render_to_response(self.get_context_data(version_form=form))
            messages.success(request, "A new draft version is ready to edit.")
            return redirect("evaluations:plan", partner_slug=partner_slug, code=code)
        form = PlanForm(request.POST, measures=list(measure_selectors.measure_list(partner=self.partner)))
        saved = run_service(
            form,
            lambda: services.plan_save_draft(
                partner=self.partner, actor=request.user, evaluation=evaluation, **form.plan_content()
            ),
        )
        if not saved.ok:
            return self.render_to_response(self.get_context_data(form=form))
        if submit:  # the form's own submit button: what was typed is saved first, never lost
            submitted = run_service(
                request, lambda: services.plan_submit(partner=self.partner, actor=request.user, evaluation=evaluation)
            )
            if submitted.ok:
                messages.success(request, "Plan saved and submitted to the practice team for sign-off.")
            return redirect("evaluations:plan", partner_slug=partner_slug, code=code)
        messages.success(request, "Plan saved.")
        return redirect("evaluations:plan", partner_slug=partner_slug, code=code)


class PlanCompareView(EvaluationMixin, PartnerView, TemplateView):
    """Two versions side by side, field by field (``?from=1&to=2``)."""

    template_name = "evaluations/plan_compare.html"

    def get_context_data(self, **kwargs):
        evaluation = self.object
        versions = list(selectors.plan_versions(partner=self.partner, evaluation=evaluation))
        if len(versions) < 2:
            raise Http404("There is only one version of this plan.")
        by_number = {p.version: p for p in versions}
        try:
            older = by_number[int(self.request.GET.get("from", versions[1].version))]
            newer = by_number[int(self.request.GET.get("to", versions[0].version))]
        except (KeyError, ValueError):
            raise Http404("No such version.") from None
        return super().get_context_data(
            evaluation=evaluation, older=older, newer=newer, rows=selectors.plan_comparison(older, newer), versions=versions,
            **kwargs,
        )  # fmt: skip


class PracticePlanSignOffView(PracticeView):
    """A practice admin signs off the evaluation's current plan, or asks its partner for changes
    with comments (``decision``; a bare POST signs off)."""

    practice_roles = ADMINS

    def scoped_object(self):
        """The evaluation's current plan (none yet: 404)."""
        evaluation = selectors.evaluation_get_for_practice(code=self.kwargs["code"])
        return evaluation and selectors.plan_current(partner=evaluation.partner, evaluation=evaluation)

    def post(self, request, code):
        plan = self.object
        if "decision" not in request.POST:
            if run_service(request, lambda: services.plan_sign_off(actor=request.user, plan=plan)).ok:
                messages.success(request, f"Version {plan.version} of the plan is signed off.")
            return redirect("evaluations:practice_evaluation", code=code)
        form = PlanReviewForm(request.POST)
        if form.is_valid():
            decision, comments = form.cleaned_data["decision"], form.cleaned_data["comments"]
            if decision == "sign_off":
                call = lambda: services.plan_sign_off(actor=request.user, plan=plan, comments=comments)  # noqa: E731
                done = f"Version {plan.version} of the plan is signed off. The partner has been told."
            else:
                call = lambda: services.plan_request_changes(actor=request.user, plan=plan, comments=comments)  # noqa: E731
                done = "Changes requested. The partner has been told, with your comments."
            if run_service(form, call).ok:
                messages.success(request, done)
                return redirect("evaluations:practice_evaluation", code=code)
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(reverse("evaluations:practice_evaluation", args=[code]) + "#plan-review")


class PracticeAgreementView(PracticeView, TemplateView):
    """The data sharing agreement a partner recorded, for the practice team to check against its
    file and mark verified (the work queue lists those waiting)."""

    template_name = "evaluations/practice_agreement.html"

    def scoped_object(self):
        return selectors.evaluation_get_for_practice(code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        evaluation = self.object
        onboarding = selectors.onboarding_get(partner=evaluation.partner, evaluation=evaluation)
        return super().get_context_data(evaluation=evaluation, onboarding=onboarding, today=timezone.localdate(), **kwargs)

    def post(self, request, code):
        if run_service(request, lambda: services.onboarding_agreement_verify(actor=request.user, evaluation=self.object)).ok:
            messages.success(request, "The data sharing agreement is verified.")
        return redirect("evaluations:practice_agreement", code=code)


class PracticeAgreementDocumentView(PracticeView):
    def scoped_object(self):
        return selectors.evaluation_get_for_practice(code=self.kwargs["code"])

    def get(self, request, code):
        found = selectors.onboarding_dsa_document(partner=self.object.partner, evaluation=self.object)
        if found is None:
            raise Http404("No agreement uploaded.")
        return _agreement_response(*found)


# --- the theory of change ------------------------------------------------------------------------


class TheoryView(EvaluationMixin, PartnerView, TemplateView):
    """The theory of change: its diagram and versions, a structured editor (add an element, pick its
    links from lists; change or remove one on its own page) and the same as text. Every change
    saves a new version."""

    template_name = "evaluations/theory.html"

    def measures(self):
        return list(measure_selectors.measure_list(partner=self.partner))

    def get_context_data(self, **kwargs):
        evaluation = self.object
        version = _version_param(self.request)
        current = selectors.theory_get(partner=self.partner, evaluation=evaluation)
        shown = selectors.theory_get(partner=self.partner, evaluation=evaluation, version=version) if version else current
        if version and shown is None:
            raise Http404("No such version.")
        measures = self.measures()
        names = {m.code: m.name for m in measures}
        form = kwargs.pop("form", None) or TheoryForm(initial=theory.as_texts(current.content) if current else {})
        content = current.content if current else {"elements": [], "links": [], "measures": {}}
        element_form = kwargs.pop("element_form", None) or ElementForm(content=content, measures=measures)
        columns = []
        if shown:
            for kind, _prefix, label in theory.KINDS:
                elements = [e for e in shown.content["elements"] if e["kind"] == kind]
                columns.append((label, [
                    {**e, "leads_to": theory.links_of(shown.content, e["id"])[0],
                     "measure_names": [names.get(c, c) for c in shown.content.get("measures", {}).get(e["id"], [])]}
                    for e in elements
                ]))  # fmt: skip
        return super().get_context_data(
            evaluation=evaluation,
            shown=shown,
            current=current,
            versions=selectors.theory_versions(partner=self.partner, evaluation=evaluation),
            diagram=theory.svg(shown.content, title=f"Theory of change: {evaluation.title}", measure_names=names, fit=True)
            if shown
            else "",
            columns=columns,
            links=shown.content["links"] if shown else [],
            measures=shown.content.get("measures", {}) if shown else {},
            form=form,
            element_form=element_form,
            text_open=bool(form.errors),
            **kwargs,
        )

    def post(self, request, partner_slug, code):
        evaluation = self.object
        measures = self.measures()
        known = {m.code for m in measures}
        if request.POST.get("action") == "add":
            current = selectors.theory_get(partner=self.partner, evaluation=evaluation)
            content = current.content if current else {"elements": [], "links": [], "measures": {}}
            form = ElementForm(request.POST, content=content, measures=measures)
            if form.is_valid():
                data = form.cleaned_data
                content, problems = theory.element_add(
                    content, kind=data["kind"], text=data["text"], leads_to=data["leads_to"], comes_from=data["comes_from"],
                    measures=data["measures"], known_measures=known,
                )  # fmt: skip
                for problem in problems:
                    form.add_error(problem.field, problem.message)
            saved = run_service(
                form,
                lambda: services.theory_save(partner=self.partner, actor=request.user, evaluation=evaluation, content=content),
            )
            if not saved.ok:
                return self.render_to_response(self.get_context_data(element_form=form))
            messages.success(request, f"Element added. Theory of change saved as version {saved.result.version}.")
            return redirect(reverse("evaluations:theory", args=[partner_slug, code]) + "#elements")
        form = TheoryForm(request.POST, known_measures=known)
        saved = run_service(
            form,
            lambda: services.theory_save(partner=self.partner, actor=request.user, evaluation=evaluation, content=form.content),
        )
        if not saved.ok:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, f"Theory of change saved as version {saved.result.version}.")
        return redirect("evaluations:theory", partner_slug=partner_slug, code=code)


class TheoryElementView(EvaluationMixin, PartnerView, TemplateView):
    """Change one element of the theory of change (its words, its links, its measures) or remove it."""

    template_name = "evaluations/theory_element.html"
    required_role = Role.CONTRIBUTOR

    def current(self):
        current = selectors.theory_get(partner=self.partner, evaluation=self.object)
        element = current and theory.element_get(current.content, self.kwargs["element"])
        if element is None:
            raise Http404("No such element.")
        return current, element

    def get_context_data(self, **kwargs):
        kwargs.pop("element", None)  # the URL's, read by current()
        current, element = self.current()
        leads_to, comes_from = theory.links_of(current.content, element["id"])
        initial = {
            "text": element["text"], "leads_to": leads_to, "comes_from": comes_from,
            "measures": current.content.get("measures", {}).get(element["id"], []),
        }  # fmt: skip
        form = kwargs.pop("form", None) or ElementForm(
            initial=initial, content=current.content, measures=self.measures(element), element_id=element["id"]
        )
        return super().get_context_data(
            evaluation=self.object, element=element, kind_label=theory.LABEL[element["kind"]], form=form, **kwargs
        )

    def measures(self, element):
        if element["kind"] not in theory.OUTCOME_KINDS:
            return []
        return list(measure_selectors.measure_list(partner=self.partner))

    def post(self, request, partner_slug, code, element):
        evaluation = self.object
        current, found = self.current()
        back = reverse("evaluations:theory", args=[partner_slug, code]) + "#elements"
        save = lambda content: services.theory_save(  # noqa: E731
            partner=self.partner, actor=request.user, evaluation=evaluation, content=content
        )
        if request.POST.get("action") == "remove":
            if run_service(request, lambda: save(theory.element_remove(current.content, found["id"]))).ok:
                messages.success(request, f"{found['id']} removed; the elements after it in its column moved up.")
            return redirect(back)
        measures = self.measures(found)
        form = ElementForm(request.POST, content=current.content, measures=measures, element_id=found["id"])
        content = current.content
        if form.is_valid():
            data = form.cleaned_data
            content, problems = theory.element_change(
                current.content, found["id"], text=data["text"], leads_to=data["leads_to"], comes_from=data["comes_from"],
                measures=data["measures"], known_measures={m.code for m in measures},
            )  # fmt: skip
            for problem in problems:
                form.add_error(problem.field, problem.message)
        if not run_service(form, lambda: save(content)).ok:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, f"{found['id']} changed.")
        return redirect(back)


def _version_param(request) -> int | None:
    value = request.GET.get("version", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 4:
        raise Http404("No such version.")
    return int(value)


class TheoryDownloadView(EvaluationMixin, PartnerView):
    """The diagram as an SVG or PNG file (``?version=N`` for an earlier one)."""

    def get(self, request, partner_slug, code, kind):
        evaluation = self.object
        shown = selectors.theory_get(partner=self.partner, evaluation=evaluation, version=_version_param(request))
        if shown is None:
            raise Http404("No theory of change yet.")
        names = dict(measure_selectors.measure_list(partner=self.partner).values_list("code", "name"))
        content = theory.svg(shown.content, title=f"Theory of change: {evaluation.title}", measure_names=names).encode()
        if kind == "png":
            import cairosvg  # loads libcairo: only when someone asks for a PNG

            content = cairosvg.svg2png(bytestring=content, scale=2)
        response = HttpResponse(content, content_type="image/png" if kind == "png" else "image/svg+xml")
        response["Content-Disposition"] = f'attachment; filename="theory-of-change-v{shown.version}.{kind}"'
        return response


# --- local measures (each added to one of the partner's evaluations) ----------------------------------


class MeasureListView(PartnerView, TemplateView):
    """The measures this partner may use: the shared library and its own local measures."""

    template_name = "measures/measure_list.html"

    def get_context_data(self, **kwargs):
        measures = list(measure_selectors.measure_list(partner=self.partner))
        return super().get_context_data(
            library=[m for m in measures if not m.is_local],
            local=[m for m in measures if m.is_local],
            evaluations=selectors.evaluation_list(partner=self.partner),
            **kwargs,
        )


class LocalMeasureCreateView(EvaluationMixin, PartnerView, TemplateView):
    """A lead or contributor adds a local measure to their evaluation."""

    template_name = "measures/measure_form.html"
    required_role = Role.CONTRIBUTOR

    def get_context_data(self, **kwargs):
        evaluation = self.object
        return super().get_context_data(
            form=kwargs.pop("form", None) or LocalMeasureForm(),
            heading="Add a local measure",
            caption=evaluation.title,
            button="Add measure",
            intro="Only your partnership sees a local measure. Once added, you can choose it in your evaluation plan and "
            "theory of change and send its data like a library measure.",
            back=reverse("evaluations:measures", args=[self.partner.slug]),
            **kwargs,
        )

    def post(self, request, partner_slug, code):
        evaluation = self.object
        form = LocalMeasureForm(request.POST)
        created = run_service(
            form,
            lambda: measure_services.measure_local_create(
                partner=self.partner,
                actor=request.user,
                evaluation=evaluation,
                code=form.cleaned_data["code"],
                **form.definition_fields(),
            ),
        )
        if not created.ok:
            return self.render_to_response(self.get_context_data(form=form))
        measure = created.result
        messages.success(request, f"Local measure {measure.name} added.")
        return redirect("measures:measure", partner_slug=partner_slug, measure_code=measure.code)
