"""Pages: a partner's evaluation workspace (onboarding, milestones, meetings, plan, theory of change,
local measures) and the practice team's view of it. The evaluation's overview page, its data and its
reports are built on these: ``reports.views``."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView

from evaluations import selectors, services, theory
from evaluations.forms import (
    ONBOARDING_FORMS,
    ONBOARDING_TITLES,
    MeetingForm,
    MilestoneForm,
    PlanForm,
    PlanNewVersionForm,
    TheoryForm,
)
from measures import selectors as measure_selectors
from measures import services as measure_services
from measures.forms import LocalMeasureForm
from pine.models import Role
from pine.scoping import ADMINS, PartnerView, PracticeView
from pine.views import add_form_errors


class EvaluationMixin:
    def _evaluation(self):
        evaluation = selectors.evaluation_get(partner=self.partner, code=self.kwargs["code"])
        if evaluation is None:
            raise Http404("No such evaluation.")
        return evaluation


# --- the evaluation workspace: onboarding, milestones, meetings -----------------------------------


class OnboardingView(EvaluationMixin, PartnerView, TemplateView):
    """The onboarding checklist, one form per item. The data sharing agreement gates uploads."""

    template_name = "evaluations/onboarding.html"

    def get_context_data(self, **kwargs):
        evaluation = self._evaluation()
        onboarding = selectors.onboarding_get(partner=self.partner, evaluation=evaluation)
        forms = {}
        for name, form_class in ONBOARDING_FORMS.items():
            initial = {field: getattr(onboarding, field) for field in form_class.base_fields if hasattr(onboarding, field)}
            if onboarding.ethics_required is not None:
                initial["ethics_required"] = "yes" if onboarding.ethics_required else "no"
            extra = {"has_document": bool(onboarding.dsa_filename)} if name == "dsa" else {}
            form = kwargs.pop(f"{name}_form", None) or form_class(initial=initial, prefix=name, **extra)
            forms[name] = (ONBOARDING_TITLES[name], form)
        return super().get_context_data(
            evaluation=evaluation,
            onboarding=onboarding,
            checklist=onboarding.checklist(timezone.localdate()),
            forms=forms,
            upload_blocker=selectors.evaluation_upload_blocker(partner=self.partner, evaluation=evaluation),
            **kwargs,
        )

    def post(self, request, partner_slug, code):
        section = request.POST.get("section", "")
        if section not in ONBOARDING_FORMS:
            raise Http404("No such section.")
        evaluation = self._evaluation()
        onboarding = selectors.onboarding_get(partner=self.partner, evaluation=evaluation)
        extra = {"has_document": bool(onboarding.dsa_filename)} if section == "dsa" else {}
        form = ONBOARDING_FORMS[section](request.POST, request.FILES, prefix=section, **extra)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(**{f"{section}_form": form, "failed_section": section}))
        fields = dict(form.cleaned_data)
        document = fields.pop("document", None)
        dsa_file = (document.name, document.read()) if document is not None else None
        try:
            with transaction.atomic():
                services.onboarding_update(
                    partner=self.partner, actor=request.user, evaluation=evaluation, dsa_file=dsa_file, **fields
                )
        except ValidationError as error:
            add_form_errors(form, error)
            return self.render_to_response(self.get_context_data(**{f"{section}_form": form, "failed_section": section}))
        messages.success(request, "Saved.")
        return redirect("evaluations:onboarding", partner_slug=partner_slug, code=code)


class DsaDocumentView(EvaluationMixin, PartnerView):
    def get(self, request, partner_slug, code):
        found = selectors.onboarding_dsa_document(partner=self.partner, evaluation=self._evaluation())
        if found is None:
            raise Http404("No agreement uploaded.")
        filename, content = found
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename)}"'
        return response


def _safe_filename(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._- ")[:100] or "document"


class MilestoneListView(EvaluationMixin, PartnerView, TemplateView):
    template_name = "evaluations/milestones.html"

    def get_context_data(self, **kwargs):
        evaluation = self._evaluation()
        today = timezone.localdate()
        milestones = [(m, m.is_overdue(today)) for m in selectors.milestone_list(partner=self.partner, evaluation=evaluation)]
        meetings = selectors.meeting_list(partner=self.partner, evaluation=evaluation)
        return super().get_context_data(evaluation=evaluation, milestones=milestones, meetings=meetings, **kwargs)


class MilestoneEditView(PartnerView, FormView):
    template_name = "evaluations/milestone_form.html"
    form_class = MilestoneForm

    def _milestone(self):
        milestone = selectors.milestone_get(partner=self.partner, code=self.kwargs["code"])
        if milestone is None:
            raise Http404("No such milestone.")
        return milestone

    def get_initial(self):
        m = self._milestone()
        return {"status": m.status, "due_on": m.due_on, "owner": m.owner, "notes": m.notes}

    def get_context_data(self, **kwargs):
        return super().get_context_data(milestone=self._milestone(), **kwargs)

    def form_valid(self, form):
        milestone = self._milestone()
        with transaction.atomic():
            services.milestone_update(partner=self.partner, actor=self.request.user, milestone=milestone, **form.cleaned_data)
        messages.success(self.request, f"{milestone.get_kind_display()} updated.")
        return redirect("evaluations:milestones", partner_slug=self.partner.slug, code=milestone.evaluation.code)


class MeetingCreateView(EvaluationMixin, PartnerView, FormView):
    template_name = "evaluations/meeting_form.html"
    form_class = MeetingForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(evaluation=self._evaluation(), **kwargs)

    def form_valid(self, form):
        evaluation = self._evaluation()
        with transaction.atomic():
            services.meeting_log(partner=self.partner, actor=self.request.user, evaluation=evaluation, **form.cleaned_data)
        messages.success(self.request, "Meeting logged.")
        return redirect("evaluations:milestones", partner_slug=self.partner.slug, code=evaluation.code)


class PracticeEvaluationView(PracticeView, FormView):
    """One evaluation for the practice team: onboarding, milestones, meetings; they log meetings."""

    template_name = "evaluations/practice_evaluation.html"
    form_class = MeetingForm

    def _evaluation(self):
        evaluation = selectors.evaluation_get_for_practice(code=self.kwargs["code"])
        if evaluation is None:
            raise Http404("No such evaluation.")
        return evaluation

    def get_context_data(self, **kwargs):
        evaluation = self._evaluation()
        partner, today = evaluation.partner, timezone.localdate()
        onboarding = selectors.onboarding_get(partner=partner, evaluation=evaluation)
        plan = selectors.plan_current(partner=partner, evaluation=evaluation)
        return super().get_context_data(
            evaluation=evaluation,
            plan=plan,
            plan_rows=selectors.plan_summary(plan),
            plan_missing=plan.missing_for_sign_off() if plan else [],
            checklist=onboarding.checklist(today),
            milestones=[(m, m.is_overdue(today)) for m in selectors.milestone_list(partner=partner, evaluation=evaluation)],
            meetings=selectors.meeting_list(partner=partner, evaluation=evaluation),
            **kwargs,
        )

    def form_valid(self, form):
        evaluation = self._evaluation()
        with transaction.atomic():
            services.meeting_log(partner=evaluation.partner, actor=self.request.user, evaluation=evaluation, **form.cleaned_data)
        messages.success(self.request, "Meeting logged.")
        return redirect("evaluations:practice_evaluation", code=evaluation.code)


# --- the evaluation plan -------------------------------------------------------------------------


class PlanView(EvaluationMixin, PartnerView, TemplateView):
    """The current plan: editable while it is a draft; a signed-off plan offers a new version."""

    template_name = "evaluations/plan.html"

    def get_context_data(self, **kwargs):
        evaluation = self._evaluation()
        plan = selectors.plan_current(partner=self.partner, evaluation=evaluation)
        measures = list(measure_selectors.measure_list(partner=self.partner))
        editable = plan is None or plan.status == plan.Status.DRAFT
        context = {
            "evaluation": evaluation,
            "plan": plan,
            "editable": editable,
            "versions": selectors.plan_versions(partner=self.partner, evaluation=evaluation),
            "rows": selectors.plan_summary(plan),
            "missing": plan.missing_for_sign_off() if plan and editable else [],
        }
        if editable:
            context["form"] = kwargs.pop("form", None) or PlanForm(initial=PlanForm.initial_from(plan), measures=measures)
        else:
            context["version_form"] = kwargs.pop("version_form", None) or PlanNewVersionForm()
        return super().get_context_data(**context, **kwargs)

    def post(self, request, partner_slug, code):
        evaluation = self._evaluation()
        if "reason" in request.POST:
            form = PlanNewVersionForm(request.POST)
            if form.is_valid():
                try:
                    with transaction.atomic():
                        services.plan_new_version(
                            partner=self.partner, actor=request.user, evaluation=evaluation, reason=form.cleaned_data["reason"]
                        )
                except ValidationError as error:
                    add_form_errors(form, error)
            if form.errors:
                return self.render_to_response(self.get_context_data(version_form=form))
            messages.success(request, "A new draft version is ready to edit.")
            return redirect("evaluations:plan", partner_slug=partner_slug, code=code)
        form = PlanForm(request.POST, measures=list(measure_selectors.measure_list(partner=self.partner)))
        if form.is_valid():
            try:
                with transaction.atomic():
                    services.plan_save_draft(
                        partner=self.partner, actor=request.user, evaluation=evaluation, **form.plan_content()
                    )
            except ValidationError as error:
                add_form_errors(form, error)
        if form.errors:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, "Plan saved.")
        return redirect("evaluations:plan", partner_slug=partner_slug, code=code)


class PlanCompareView(EvaluationMixin, PartnerView, TemplateView):
    """Two versions side by side, field by field (``?from=1&to=2``)."""

    template_name = "evaluations/plan_compare.html"

    def get_context_data(self, **kwargs):
        evaluation = self._evaluation()
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
    """A practice admin signs off the current draft of an evaluation's plan."""

    practice_roles = ADMINS

    def post(self, request, code):
        evaluation = selectors.evaluation_get_for_practice(code=code)
        plan = evaluation and selectors.plan_current(partner=evaluation.partner, evaluation=evaluation)
        if plan is None:
            raise Http404("No plan to sign off.")
        try:
            with transaction.atomic():
                services.plan_sign_off(actor=request.user, plan=plan)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Version {plan.version} of the plan is signed off.")
        return redirect("evaluations:practice_evaluation", code=code)


# --- the theory of change ------------------------------------------------------------------------


class TheoryView(EvaluationMixin, PartnerView, TemplateView):
    template_name = "evaluations/theory.html"

    def get_context_data(self, **kwargs):
        evaluation = self._evaluation()
        version = _version_param(self.request)
        current = selectors.theory_get(partner=self.partner, evaluation=evaluation)
        shown = selectors.theory_get(partner=self.partner, evaluation=evaluation, version=version) if version else current
        if version and shown is None:
            raise Http404("No such version.")
        form = kwargs.pop("form", None) or TheoryForm(initial=theory.as_texts(current.content) if current else {})
        columns = []
        if shown:
            for kind, _prefix, label in theory.KINDS:
                columns.append((label, [e for e in shown.content["elements"] if e["kind"] == kind]))
        return super().get_context_data(
            evaluation=evaluation,
            shown=shown,
            current=current,
            versions=selectors.theory_versions(partner=self.partner, evaluation=evaluation),
            diagram=theory.svg(shown.content, title=f"Theory of change: {evaluation.title}") if shown else "",
            columns=columns,
            links=shown.content["links"] if shown else [],
            measures=shown.content.get("measures", {}) if shown else {},
            form=form,
            **kwargs,
        )

    def post(self, request, partner_slug, code):
        evaluation = self._evaluation()
        known = set(measure_selectors.measure_list(partner=self.partner).values_list("code", flat=True))
        form = TheoryForm(request.POST, known_measures=known)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        with transaction.atomic():
            saved = services.theory_save(partner=self.partner, actor=request.user, evaluation=evaluation, content=form.content)
        messages.success(request, f"Theory of change saved as version {saved.version}.")
        return redirect("evaluations:theory", partner_slug=partner_slug, code=code)


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
        evaluation = self._evaluation()
        shown = selectors.theory_get(partner=self.partner, evaluation=evaluation, version=_version_param(request))
        if shown is None:
            raise Http404("No theory of change yet.")
        content = theory.svg(shown.content, title=f"Theory of change: {evaluation.title}").encode()
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
            can_add=self.membership.allows(Role.CONTRIBUTOR),
            **kwargs,
        )


class LocalMeasureCreateView(PartnerView, TemplateView):
    """A lead or contributor adds a local measure to their evaluation."""

    template_name = "measures/measure_form.html"
    required_role = Role.CONTRIBUTOR

    def _evaluation(self):
        evaluation = selectors.evaluation_get(partner=self.partner, code=self.kwargs["code"])
        if evaluation is None:
            raise Http404("No such evaluation.")
        return evaluation

    def get_context_data(self, **kwargs):
        evaluation = self._evaluation()
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
        evaluation = self._evaluation()
        form = LocalMeasureForm(request.POST)
        measure = None
        if form.is_valid():
            try:
                measure = measure_services.measure_local_create(
                    partner=self.partner,
                    actor=request.user,
                    evaluation=evaluation,
                    code=form.cleaned_data["code"],
                    **form.definition_fields(),
                )
            except ValidationError as error:
                add_form_errors(form, error)
        if measure is None:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, f"Local measure {measure.name} added.")
        return redirect("measures:measure", partner_slug=partner_slug, measure_code=measure.code)
