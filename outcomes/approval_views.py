"""Pages of approval against the data beyond the periods page (``views.PracticePeriodsView``): one
period for the practice team, with its history and the form that sends it back with a query; and
the partner's side of queries, where they read and answer them."""

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import TemplateView

from evaluations import selectors as evaluation_selectors
from outcomes import approval_selectors, approval_services
from outcomes.forms import PeriodQueryAnswerForm, PeriodQueryForm
from pine.scoping import PartnerView, PracticeView
from pine.views import run_service


def _period_start(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class PracticePeriodView(PracticeView, TemplateView):
    """One period of an evaluation's data: its values, changes, explanations and queries; send it
    back to the partner with a query."""

    template_name = "outcomes/practice_period.html"

    def scoped_object(self):
        evaluation = evaluation_selectors.evaluation_get_for_practice(code=self.kwargs["code"])
        start = _period_start(self.kwargs["period"])
        if evaluation is None or start is None:
            return None
        reviews = approval_selectors.period_review_list(partner=evaluation.partner, evaluation=evaluation)
        review = next((r for r in reviews if r.period_start == start), None)
        return None if review is None else (evaluation, review)

    def get_context_data(self, **kwargs):
        evaluation, review = self.object
        kwargs.pop("period", None)  # the URL's text; the page's period is the review below
        return super().get_context_data(
            evaluation=evaluation,
            period=review,
            query_form=kwargs.pop("query_form", None) or PeriodQueryForm(),
            **kwargs,
        )

    def post(self, request, code, period):
        evaluation, review = self.object
        form = PeriodQueryForm(request.POST)
        done = run_service(
            form,
            lambda: approval_services.period_query_send(
                actor=request.user,
                evaluation=evaluation,
                period_start=review.period_start,
                question=form.cleaned_data["question"],
            ),
            field="question",
        )
        if not done.ok:
            return self.render_to_response(self.get_context_data(query_form=form))
        messages.success(request, f"The period starting {review.period_start:%d/%m/%Y} was sent back to the partner.")
        return redirect("outcomes:practice_periods", code=code)


class PeriodQueryListView(PartnerView, TemplateView):
    """The practice team's queries on an evaluation's data, and the partner's answers."""

    template_name = "outcomes/period_query_list.html"

    def scoped_object(self):
        return evaluation_selectors.evaluation_get(partner=self.partner, code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        queries = approval_selectors.period_query_list(partner=self.partner, evaluation=self.object).order_by("-asked_at")
        return super().get_context_data(evaluation=self.object, queries=queries, **kwargs)


class PeriodQueryView(PartnerView, TemplateView):
    """One query: the question, and the answer (or the form that answers it)."""

    template_name = "outcomes/period_query.html"

    def scoped_object(self):
        return approval_selectors.period_query_get(partner=self.partner, code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            query=self.object, answer_form=kwargs.pop("answer_form", None) or PeriodQueryAnswerForm(), **kwargs
        )

    def post(self, request, partner_slug, code):
        form = PeriodQueryAnswerForm(request.POST)
        done = run_service(
            form,
            lambda: approval_services.period_query_answer(
                partner=self.partner, actor=request.user, query=self.object, answer=form.cleaned_data["answer"]
            ),
            field="answer",
        )
        if not done.ok:
            return self.render_to_response(self.get_context_data(answer_form=form))
        messages.success(request, "Thank you. The practice team has your answer.")
        return redirect("outcomes:period_query", partner_slug=partner_slug, code=code)
