"""Pages: a cohort's selection panel (and its downloads), its decisions, the preview of the emails
and their release. The practice team's admins and analysts see them; only admins change anything."""

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.views import View
from django.views.generic import FormView, TemplateView

from cohorts.forms.decisions import DecisionRecordForm, PanelFilterForm, ReleaseForm
from cohorts.models import Application, Decision
from cohorts.selectors import applications as selectors
from cohorts.selectors import decisions as decision_selectors
from cohorts.selectors import panel as panel_selectors
from cohorts.selectors import reviews as review_selectors
from cohorts.services import decisions as decision_services
from cohorts.services import reviews as review_services
from cohorts.views.applications import PracticeCohortMixin
from pine.access import ADMINS, ADMINS_AND_ANALYSTS
from pine.exports import csv_response, xlsx_response
from pine.scoping import PracticeView
from pine.views import ServiceFormMixin, run_service

SORT_COLUMNS = [("name", "Partner and practice"), ("mean", "Mean"), ("median", "Median"), ("spread", "Spread")]


class PanelMixin(PracticeCohortMixin):
    practice_roles = ADMINS_AND_ANALYSTS

    @cached_property
    def panel(self):
        """The cohort's panel as the page's filters and sort ask: (cohort, form, filters, panel, rows)."""
        cohort = self.cohort
        form = PanelFilterForm(self.request.GET or None)
        filters = form.filters() if form.is_bound else {"flagged": False, "decision": "", "status": "", "sort": ""}
        panel = panel_selectors.panel_get(cohort=cohort)
        rows = panel_selectors.panel_rows(panel, **{**filters, "sort": filters["sort"] or panel_selectors.DEFAULT_SORT})
        return cohort, form, filters, panel, rows


def _sort_links(request, current: str) -> list[dict]:
    """Each sortable column: its link (the filters kept) and its aria-sort state."""
    current = current or panel_selectors.DEFAULT_SORT
    links = []
    for key, label in SORT_COLUMNS:
        descending_first = panel_selectors.SORTS[key][1]
        active = current.removeprefix("-") == key
        reversed_ = current.startswith("-")
        descending = descending_first != reversed_ if active else None
        query = request.GET.copy()
        query["sort"] = ("-" + key) if active and not reversed_ else key
        links.append(
            {
                "key": key,
                "label": label,
                "href": "?" + query.urlencode(),
                "aria_sort": "none" if descending is None else ("descending" if descending else "ascending"),
            }
        )
    return links


class PanelView(PanelMixin, PracticeView, TemplateView):
    template_name = "cohorts/panel/panel.html"

    def get_context_data(self, **kwargs):
        cohort, form, filters, panel, rows = self.panel
        query = QueryDict(mutable=True)
        query.update({k: v for k, v in self.request.GET.items() if k in form.fields})
        return super().get_context_data(
            cohort=cohort,
            form=form,
            panel=panel,
            rows=rows,
            sorts=_sort_links(self.request, filters["sort"]),
            query=query.urlencode(),
            filtered=len(rows) != len(panel.rows),
            can_decide=self.access.has_practice_role(ADMINS),
            **kwargs,
        )


class PanelExportView(PanelMixin, PracticeView, View):
    """The panel as it is filtered and sorted on the page, as CSV or XLSX (``format``)."""

    format = "csv"

    def get(self, request, cohort_slug):
        cohort, _, _, panel, rows = self.panel
        header, table = panel_selectors.panel_table(panel, rows)
        name = f"panel-{slugify(cohort.slug)}.{self.format}"
        if self.format == "xlsx":
            return xlsx_response(name, header, table, sheet_title="Panel")
        return csv_response(name, header, table)


class DecisionListView(PracticeCohortMixin, PracticeView, TemplateView):
    """Every application that can be decided, with its scores and pending decision; the places."""

    template_name = "cohorts/panel/decisions.html"
    practice_roles = ADMINS_AND_ANALYSTS

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        panel = panel_selectors.panel_get(cohort=cohort)
        open_rows = [
            r for r in panel.rows if r.application.status in decision_selectors.DECIDABLE or r.application.pending_decision
        ]
        released = [
            r.application
            for r in panel.rows
            if r.application.status in (Application.Status.ACCEPTED, Application.Status.DECLINED)
            and not r.application.pending_decision
        ]
        pending = [r.application for r in panel.rows if r.application.pending_decision]
        return super().get_context_data(
            cohort=cohort,
            rows=open_rows,
            released=released,
            pending_count=len(pending),
            places=decision_selectors.cohort_places(cohort=cohort),
            can_decide=self.access.has_practice_role(ADMINS),
            conflicted=set(
                review_selectors.conflicted_application_ids(user=self.request.user).values_list("application_id", flat=True)
            ),
            **kwargs,
        )


class DecisionMixin(PracticeCohortMixin):
    """A page about one application of the cohort, to decide: ``self.object``."""

    def scoped_object(self):
        cohort = selectors.cohort_get(slug=self.kwargs["cohort_slug"])
        application = cohort and decision_selectors.decision_get(cohort=cohort, code=self.kwargs["code"])
        if application:
            review_services.require_no_conflict(actor=self.request.user, application=application)
        return application

    @property
    def cohort(self):
        return self.object.cohort


class DecisionRecordView(DecisionMixin, ServiceFormMixin, PracticeView, FormView):
    """Record, change or clear one application's pending decision."""

    template_name = "cohorts/panel/decision_form.html"
    form_class = DecisionRecordForm
    practice_roles = ADMINS

    def get_initial(self):
        application = self.object
        return {"decision": application.pending_decision or None, "note": application.decision_note}

    def get_form(self, form_class=None):
        """Only the confirmations this application's decision can need: deciding without reviews
        while none is submitted, accepting beyond the capacity while every place is taken (the
        service asks for the same ones)."""
        form = super().get_form(form_class)
        application = self.object
        if (
            application.status != Application.Status.ELIGIBLE
            or decision_selectors.review_counts(application=application).submitted
        ):
            del form.fields["confirm_without_reviews"]
        places = decision_selectors.cohort_places(cohort=application.cohort, excluding=application)
        if places.taken + 1 <= places.capacity:
            del form.fields["confirm_over_capacity"]
        return form

    def get_context_data(self, **kwargs):
        application = self.object
        return super().get_context_data(
            cohort=application.cohort,
            application=application,
            places=decision_selectors.cohort_places(cohort=application.cohort),
            places_without=decision_selectors.cohort_places(cohort=application.cohort, excluding=application),
            reviews=decision_selectors.review_counts(application=application),
            refusal=None
            if application.status in decision_selectors.DECIDABLE
            else f"An application that is {application.get_status_display().lower()} cannot be decided.",
            **kwargs,
        )

    def call_service(self, data):
        return decision_services.decision_record(actor=self.request.user, application=self.object, **data)

    def service_done(self, application):
        messages.success(
            self.request,
            f"{application.partner.name}: “{application.practice_title}” – "
            f"{Decision(application.pending_decision).label.lower()}, pending until you release the decisions.",
        )
        return redirect("cohorts:practice_decisions", cohort_slug=application.cohort.slug)


class DecisionClearView(DecisionMixin, PracticeView, View):
    practice_roles = ADMINS
    http_method_names = ["post"]

    def post(self, request, cohort_slug, code):
        application = self.object
        if run_service(request, lambda: decision_services.decision_clear(actor=request.user, application=application)).ok:
            messages.success(request, f"{application.partner.name}: the pending decision is cleared.")
        return redirect("cohorts:practice_decisions", cohort_slug=cohort_slug)


class DecisionPreviewView(PracticeCohortMixin, PracticeView, FormView):
    """Every email a release would send, and (for practice admins) the release button."""

    template_name = "cohorts/panel/preview.html"
    form_class = ReleaseForm
    practice_roles = ADMINS_AND_ANALYSTS

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        emails = decision_services.decision_preview(actor=self.request.user, cohort=cohort)
        return super().get_context_data(
            cohort=cohort,
            emails=emails,
            counts={d.label: sum(e.decision == d for e in emails) for d in Decision},
            places=decision_selectors.cohort_places(cohort=cohort),
            can_release=self.access.has_practice_role(ADMINS),
            **kwargs,
        )


class DecisionReleaseView(ServiceFormMixin, DecisionPreviewView):
    """The release button posts here (practice admins only)."""

    practice_roles = ADMINS
    http_method_names = ["post"]

    def call_service(self, data):
        return decision_services.decisions_release(actor=self.request.user, cohort=self.cohort)

    def service_done(self, released):
        cohort = self.cohort
        if released:
            messages.success(
                self.request,
                f"{len(released)} decision{'s' if len(released) != 1 else ''} released: the emails are on their way.",
            )
        else:
            messages.success(self.request, "There were no pending decisions to release.")
        return redirect("cohorts:practice_decisions", cohort_slug=cohort.slug)
