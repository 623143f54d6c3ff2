"""Pages of review. Practice admins: a cohort's rubric (criteria and scale) and its reviewers'
assignments. Reviewers (and practice admins who review): "Your reviews", the conflict-of-interest
question, the application (blinded when the cohort reviews blind) and the review form.

Everything a reviewer reaches goes through ``selectors.reviews.assignment_get_for_reviewer``:
another reviewer's assignment, one ended by a conflict and a missing one are the same 404.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView, View

from cohorts.forms.reviews import AssignForm, ConflictForm, CriterionForm, ReviewForm, ScaleLevelForm, StandardRubricForm
from cohorts.models import Cohort, ReviewAssignment
from cohorts.selectors import applications as cohort_selectors
from cohorts.selectors import reviews as selectors
from cohorts.selectors.applications import letter_get, letter_list
from cohorts.services import reviews as services
from cohorts.views.applications import PracticeCohortMixin, letter_download
from pine.access import ADMINS, REVIEWERS
from pine.scoping import PracticeView
from pine.views import run_service

# --- the rubric (practice admins) ----------------------------------------------------------------


class RubricMixin(PracticeCohortMixin):
    practice_roles = ADMINS

    def _locked(self, cohort: Cohort) -> bool:
        return selectors.rubric_locked(cohort=cohort)


class RubricView(RubricMixin, PracticeView, TemplateView):
    template_name = "cohorts/review/rubric.html"

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        criteria = list(selectors.criterion_list(cohort=cohort))
        return super().get_context_data(
            cohort=cohort,
            criteria=criteria,
            scale=list(selectors.scale_list(cohort=cohort)),
            locked=self._locked(cohort),
            last_position=criteria[-1].position if criteria else 0,
            **kwargs,
        )


class RubricFormView(RubricMixin, PracticeView, FormView):
    """Add or change a criterion or a level of the scale; refused once reviews are submitted."""

    template_name = "cohorts/review/rubric_form.html"
    heading = ""
    button = "Save"

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        return super().get_context_data(
            cohort=cohort, caption=cohort.name, heading=self.heading, button=self.button, locked=self._locked(cohort), **kwargs
        )

    def call_service(self, data):
        raise NotImplementedError

    def form_valid(self, form):
        if not run_service(form, lambda: self.call_service(form.cleaned_data)).ok:
            return self.form_invalid(form)
        messages.success(self.request, "The rubric is saved.")
        return redirect("cohorts:practice_rubric", cohort_slug=self.kwargs["cohort_slug"])


class CriterionMixin:
    """A page about one criterion of the cohort's rubric: ``self.object``; the cohort through it."""

    def scoped_object(self):
        cohort = cohort_selectors.cohort_get(slug=self.kwargs["cohort_slug"])
        return cohort and selectors.criterion_get(cohort=cohort, position=self.kwargs["position"])

    @property
    def cohort(self):
        return self.object.cohort


class ScaleLevelMixin:
    """A page about one level of the cohort's scale: ``self.object``; the cohort through it."""

    def scoped_object(self):
        cohort = cohort_selectors.cohort_get(slug=self.kwargs["cohort_slug"])
        return cohort and selectors.scale_level_get(cohort=cohort, score=self.kwargs["score"])

    @property
    def cohort(self):
        return self.object.cohort


class CriterionCreateView(RubricFormView):
    form_class = CriterionForm
    heading = "Add a criterion"
    button = "Add the criterion"

    def call_service(self, data):
        return services.criterion_create(actor=self.request.user, cohort=self.cohort, **data)


class CriterionEditView(CriterionMixin, RubricFormView):
    form_class = CriterionForm
    heading = "Change the criterion"

    def get_initial(self):
        return CriterionForm.initial_from(self.object)

    def call_service(self, data):
        return services.criterion_update(actor=self.request.user, criterion=self.object, **data)


class ScaleLevelCreateView(RubricFormView):
    form_class = ScaleLevelForm
    heading = "Add a score to the scale"
    button = "Add the score"

    def call_service(self, data):
        return services.scale_level_create(actor=self.request.user, cohort=self.cohort, **data)


class ScaleLevelEditView(ScaleLevelMixin, RubricFormView):
    form_class = ScaleLevelForm
    heading = "Change the score"

    def get_initial(self):
        return ScaleLevelForm.initial_from(self.object)

    def call_service(self, data):
        return services.scale_level_update(actor=self.request.user, level=self.object, **data)


class RubricDeleteView(RubricMixin, PracticeView, TemplateView):
    """Confirm, then remove a criterion or a level of the scale."""

    template_name = "cohorts/review/rubric_delete.html"

    def delete_it(self, obj):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        return super().get_context_data(cohort=cohort, obj=self.object, locked=self._locked(cohort), **kwargs)

    def post(self, request, *args, **kwargs):
        obj = self.object
        if run_service(request, lambda: self.delete_it(obj)).ok:
            messages.success(request, f"“{obj}” is removed from the rubric.")
        return redirect("cohorts:practice_rubric", cohort_slug=self.kwargs["cohort_slug"])


class CriterionDeleteView(CriterionMixin, RubricDeleteView):
    def delete_it(self, obj):
        services.criterion_delete(actor=self.request.user, criterion=obj)


class ScaleLevelDeleteView(ScaleLevelMixin, RubricDeleteView):
    def delete_it(self, obj):
        services.scale_level_delete(actor=self.request.user, level=obj)


class CriterionMoveView(CriterionMixin, RubricMixin, PracticeView, TemplateView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        direction = request.POST.get("direction", "")
        run_service(request, lambda: services.criterion_move(actor=request.user, criterion=self.object, direction=direction))
        return redirect("cohorts:practice_rubric", cohort_slug=self.kwargs["cohort_slug"])


class RubricStandardView(RubricMixin, PracticeView, FormView):
    template_name = "cohorts/review/rubric_standard.html"
    form_class = StandardRubricForm

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        return super().get_context_data(
            cohort=cohort,
            locked=self._locked(cohort),
            standard_scale=services.STANDARD_SCALE,
            standard_criteria=services.STANDARD_CRITERIA,
            has_rubric=selectors.criterion_list(cohort=cohort).exists() or selectors.scale_list(cohort=cohort).exists(),
            **kwargs,
        )

    def form_valid(self, form):
        if not run_service(form, lambda: services.rubric_use_standard(actor=self.request.user, cohort=self.cohort)).ok:
            return self.form_invalid(form)
        messages.success(self.request, "The cohort now has the standard rubric. You can change it until reviews are submitted.")
        return redirect("cohorts:practice_rubric", cohort_slug=self.kwargs["cohort_slug"])


# --- assignments (practice admins) -----------------------------------------------------------------


class AssignmentListView(PracticeCohortMixin, PracticeView, TemplateView):
    """Each eligible application with its reviewers; the reviewers' load; automatic assignment."""

    template_name = "cohorts/review/assignments.html"
    practice_roles = ADMINS

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        applications = list(selectors.reviewable_application_list(cohort=cohort))
        by_application: dict[int, list[ReviewAssignment]] = {}
        for assignment in selectors.assignment_list_for_cohort(cohort=cohort):
            by_application.setdefault(assignment.application_id, []).append(assignment)
        load = selectors.review_load(cohort=cohort)
        rows = []
        for application in applications:
            assignments = by_application.get(application.pk, [])
            active = [a for a in assignments if a.is_active]
            rows.append(
                {"application": application, "assignments": assignments, "short": len(active) < cohort.reviewers_per_application}
            )
        reviewers = [(r, load.get(r.pk, 0)) for r in selectors.reviewer_list()]
        return super().get_context_data(
            cohort=cohort,
            rows=rows,
            reviewers=reviewers,
            can_assign=cohort.status in services.ASSIGNING_STAGES,
            **kwargs,
        )


class AssignmentAutoView(PracticeCohortMixin, PracticeView, TemplateView):
    practice_roles = ADMINS
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        cohort = self.cohort
        done = run_service(request, lambda: services.assignments_auto(actor=request.user, cohort=cohort))
        if done.ok:
            result = done.result
            count = len(result.created)
            if count:
                messages.success(request, f"{count} assignment{'s' if count != 1 else ''} made. Each reviewer has been told.")
            elif not result.short:
                messages.success(request, "Every eligible application already has its reviewers.")
            if result.short:
                messages.error(request, result.explanation)
        return redirect("cohorts:practice_assignments", cohort_slug=cohort.slug)


class AssignmentCreateView(PracticeCohortMixin, PracticeView, FormView):
    """Choose reviewers for one eligible application."""

    template_name = "cohorts/review/assign.html"
    form_class = AssignForm
    practice_roles = ADMINS

    def scoped_object(self):
        cohort = cohort_selectors.cohort_get(slug=self.kwargs["cohort_slug"])
        return cohort and selectors.reviewable_application_get(cohort=cohort, code=self.kwargs["code"])

    @property
    def cohort(self):
        return self.object.cohort

    @cached_property
    def available(self) -> list:
        """The reviewers who could still be assigned, with their load."""
        application = self.object
        taken = set(application.assignments.values_list("reviewer_id", flat=True))
        load = selectors.review_load(cohort=application.cohort)
        return [(r, load.get(r.pk, 0)) for r in selectors.reviewer_list() if r.pk not in taken]

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "reviewer_choices": [(r.email, r.full_name) for r, _ in self.available],
        }

    def get_context_data(self, **kwargs):
        application = self.object
        return super().get_context_data(
            cohort=application.cohort,
            application=application,
            assignments=list(selectors.assignment_list_for_cohort(cohort=application.cohort).filter(application=application)),
            available=self.available,
            **kwargs,
        )

    def form_valid(self, form):
        application = self.object
        chosen = {r.email: r for r, _ in self.available if r.email in form.cleaned_data["reviewers"]}

        def assign():
            return [
                services.assignment_create(actor=self.request.user, application=application, reviewer=r) for r in chosen.values()
            ]

        if not run_service(form, assign).ok:
            return self.form_invalid(form)
        messages.success(self.request, f"Assigned: {', '.join(r.full_name for r in chosen.values())}. They have been told.")
        return redirect("cohorts:practice_assignments", cohort_slug=application.cohort.slug)


class AssignmentRemoveView(PracticeView, TemplateView):
    practice_roles = ADMINS
    http_method_names = ["post"]

    def scoped_object(self):
        return selectors.assignment_get_for_admin(code=self.kwargs["code"])

    def post(self, request, *args, **kwargs):
        assignment = self.object
        if run_service(request, lambda: services.assignment_remove(actor=request.user, assignment=assignment)).ok:
            messages.success(request, f"{assignment.reviewer} is no longer reviewing that application.")
        return redirect("cohorts:practice_assignments", cohort_slug=assignment.application.cohort.slug)


# --- reviewers -----------------------------------------------------------------------------------


class ReviewListView(PracticeView, TemplateView):
    """Your reviews: the reviewer's active assignments."""

    template_name = "cohorts/review/review_list.html"
    practice_roles = REVIEWERS

    def get_context_data(self, **kwargs):
        assignments = list(selectors.assignment_list_for_reviewer(reviewer=self.request.user))
        rows = [
            {"assignment": a, "label": selectors.assignment_label(a), "to_do": selectors.assignment_is_to_do(a)}
            for a in assignments
        ]
        to_do = [r for r in rows if r["to_do"]]
        return super().get_context_data(
            rows=rows,
            to_do=to_do,
            done=[r for r in rows if not r["to_do"]],
            next_row=to_do[0] if to_do else None,
            submitted_count=sum(1 for a in assignments if a.submitted),
            **kwargs,
        )


class ReviewerAssignmentMixin:
    practice_roles = REVIEWERS

    def scoped_object(self) -> ReviewAssignment | None:
        return selectors.assignment_get_for_reviewer(reviewer=self.request.user, code=self.kwargs["code"])


class ConflictView(ReviewerAssignmentMixin, PracticeView, FormView):
    """The gate: before the application, "Do you have a conflict of interest?"."""

    template_name = "cohorts/review/conflict.html"
    form_class = ConflictForm

    def get(self, request, *args, **kwargs):
        if self.object.conflict == ReviewAssignment.Conflict.NONE:
            return redirect("cohorts:review_detail", code=kwargs["code"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        assignment = self.object
        return super().get_context_data(
            assignment=assignment,
            label=selectors.assignment_label(assignment),
            applicant=selectors.applicant_for_conflict(assignment.application),
            **kwargs,
        )

    def form_valid(self, form):
        assignment = self.object
        conflict = form.cleaned_data["conflict"] == "yes"
        outcome = run_service(
            form,
            lambda: services.conflict_declare(
                actor=self.request.user, assignment=assignment, conflict=conflict, details=form.cleaned_data["details"]
            ),
        )
        if not outcome.ok:
            return self.form_invalid(form)
        if conflict:
            messages.success(
                self.request,
                "Thank you for telling us. You are no longer reviewing that application; the practice team has been told.",
            )
            return redirect("cohorts:review_list")
        return redirect("cohorts:review_detail", code=assignment.code)


class ReviewLetterView(ReviewerAssignmentMixin, PracticeView, View):
    """A letter of support of the application under review, for its reviewer: not in a blind
    review (a letter names its agency), nor before the reviewer has declared no conflict."""

    def get(self, request, code, letter):
        assignment = self.object
        if assignment.conflict != ReviewAssignment.Conflict.NONE:
            return redirect("cohorts:review_conflict", code=code)
        application = assignment.application
        found = (
            None
            if application.cohort.blind_review
            else letter_get(partner=application.partner, application=application, code=letter)
        )
        if found is None:
            raise Http404("No such letter.")
        return letter_download(found)


class ReviewView(ReviewerAssignmentMixin, PracticeView, FormView):
    """The application (as ``application_for_reviewer`` shows it), the review form while the cohort
    is reviewing, and the other reviews once the reviewer's own is submitted."""

    template_name = "cohorts/review/review.html"
    form_class = ReviewForm

    def get(self, request, *args, **kwargs):
        if self.object.conflict != ReviewAssignment.Conflict.NONE:
            return redirect("cohorts:review_conflict", code=kwargs["code"])
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.object.conflict != ReviewAssignment.Conflict.NONE:
            return redirect("cohorts:review_conflict", code=kwargs["code"])
        return super().post(request, *args, **kwargs)

    @cached_property
    def rubric(self) -> tuple[list, list]:
        """The cohort's criteria and scale."""
        cohort = self.object.application.cohort
        return list(selectors.criterion_list(cohort=cohort)), list(selectors.scale_list(cohort=cohort))

    def get_form_kwargs(self):
        criteria, scale = self.rubric
        return {**super().get_form_kwargs(), "criteria": criteria, "scale": scale}

    def get_initial(self):
        return ReviewForm.initial_from(selectors.review_get_for_reviewer(assignment=self.object))

    def get_context_data(self, **kwargs):
        assignment = self.object
        cohort = assignment.application.cohort
        review = selectors.review_get_for_reviewer(assignment=assignment)
        criteria, scale = self.rubric
        submitted = review is not None and review.status == review.Status.SUBMITTED
        refusal = None
        if cohort.status != Cohort.Status.REVIEWING:
            refusal = f"Reviewers score only while {cohort.name} is being reviewed: it is {cohort.get_status_display().lower()}."
        elif not criteria or not scale:
            refusal = f"{cohort.name} has no rubric yet: a practice admin needs to set it up before you can score."
        labels = {level.score: level for level in scale}
        application = assignment.application
        letters = [] if cohort.blind_review else list(letter_list(partner=application.partner, application=application))
        return super().get_context_data(
            assignment=assignment,
            application=selectors.application_for_reviewer(application),
            letters=letters,
            review=review,
            submitted=submitted,
            refusal=refusal,
            can_score=refusal is None and not submitted,
            others=selectors.other_reviews_for_reviewer(assignment=assignment),
            scale=scale,
            scale_labels=labels,
            **kwargs,
        )

    def form_valid(self, form):
        assignment = self.object
        submit = self.request.POST.get("action") == "submit"
        scores, comments = form.score_inputs(), form.cleaned_data["comments"]
        saved = run_service(
            form, lambda: services.review_save(actor=self.request.user, assignment=assignment, scores=scores, comments=comments)
        )
        if not saved.ok:
            return self.form_invalid(form)
        if not submit:
            messages.success(self.request, "Your review is saved as a draft. You can come back to it and submit it later.")
            return redirect("cohorts:review_detail", code=assignment.code)
        if not run_service(form, lambda: services.review_submit(actor=self.request.user, assignment=assignment)).ok:
            return self.form_invalid(form)
        following = selectors.assignment_next_for_reviewer(reviewer=self.request.user, after=assignment)
        if following is None:
            messages.success(self.request, "Your review is submitted. That was your last review to do: thank you.")
            return redirect("cohorts:review_list")
        messages.success(
            self.request,
            "Your review is submitted. This is your next application. "
            "You can see the other reviewers' submitted reviews on the page of the one you submitted.",
        )
        if following.conflict == ReviewAssignment.Conflict.NONE:
            return redirect("cohorts:review_detail", code=following.code)
        return redirect("cohorts:review_conflict", code=following.code)
