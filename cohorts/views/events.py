"""Pages: events for applicants (public pages to register and cancel; the practice team's pages to
add, change and delete them and to see and download who registered) and the documents attached
to a call (public downloads; the practice admins upload and delete them).

A draft cohort's events and documents are "not found" to the public, like the draft itself.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.generic import FormView, TemplateView

from cohorts.forms.events import ButtonForm, DocumentForm, EventForm, RegistrationForm
from cohorts.models import CohortDocument
from cohorts.selectors import applications as cohort_selectors
from cohorts.selectors import events as selectors
from cohorts.services import events as services
from cohorts.views.applications import PracticeCohortMixin
from pine import ratelimit
from pine.access import ADMINS, ADMINS_AND_ANALYSTS
from pine.exports import csv_response, xlsx_response
from pine.scoping import PracticeView, PublicView
from pine.templatetags.govuk_format import govuk_datetime
from pine.views import ServiceFormMixin


def _download(document: CohortDocument) -> HttpResponse:
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    response["Content-Length"] = str(document.size)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- public ----------------------------------------------------------------------------------------


class PublicEventMixin:
    """A page about an event of a published call: ``self.object``."""

    def scoped_object(self):
        return selectors.event_get_public(cohort_slug=self.kwargs["cohort_slug"], code=self.kwargs["code"])


class PublicEventView(PublicEventMixin, ServiceFormMixin, PublicView, FormView):
    """An event's page and its registration form (no account needed)."""

    template_name = "cohorts/events/public_event.html"
    form_class = RegistrationForm

    def get_context_data(self, **kwargs):
        event = self.object
        return super().get_context_data(
            event=event,
            cohort=event.cohort,
            places_left=selectors.places_left(event),
            refusal=services.registration_refusal(event),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if services.registration_refusal(self.object):
            return self.get(request, *args, **kwargs)  # the page says why
        return super().post(request, *args, **kwargs)

    def call_service(self, data):
        return services.event_register(event=self.object, client_ip=ratelimit.client_ip(self.request), **data)

    def service_done(self, registration):
        event = self.object
        return redirect(
            "cohorts:public_event_registered", cohort_slug=event.cohort.slug, code=event.code, registration_code=registration.code
        )


class PublicEventRegisteredView(PublicEventMixin, PublicView, TemplateView):
    """The confirmation page (its address holds the registration's unguessable code)."""

    template_name = "cohorts/events/public_registered.html"

    def get_context_data(self, **kwargs):
        event = self.object
        registration = selectors.registration_get_public(event=event, code=self.kwargs["registration_code"])
        if registration is None or registration.cancelled_at is not None:
            raise Http404("No such registration.")
        return super().get_context_data(event=event, cohort=event.cohort, registration=registration, **kwargs)


class PublicEventCancelView(ServiceFormMixin, PublicView, FormView):
    """The cancel link from the emails: a page with one button (a link alone changes nothing, so
    a mail scanner that follows it cancels nobody)."""

    template_name = "cohorts/events/public_cancel.html"
    form_class = ButtonForm

    def scoped_object(self):
        return selectors.registration_get_by_token(token=self.kwargs["token"])

    def get_context_data(self, **kwargs):
        registration = self.object
        event = registration.event
        return super().get_context_data(
            registration=registration,
            event=event,
            cohort=event.cohort,
            already_cancelled=registration.cancelled_at is not None,
            taken_place=event.ends_at <= timezone.now(),
            **kwargs,
        )

    def call_service(self, data):
        return services.registration_cancel(registration=self.object)

    def service_done(self, registration):
        self.object = registration  # as it is now: cancelled
        return self.render_to_response(self.get_context_data(form=self.get_form(), just_cancelled=True))


class PublicDocumentView(PublicView, TemplateView):
    """A document of a published call, as a download."""

    def scoped_object(self):
        return selectors.document_get_public(cohort_slug=self.kwargs["cohort_slug"], code=self.kwargs["code"])

    def get(self, request, cohort_slug, code):
        return _download(self.object)


# --- the practice team: events ---------------------------------------------------------------------


class PracticeEventMixin(PracticeCohortMixin):
    """A page about one event of the cohort: ``self.object``; the cohort through it."""

    def scoped_object(self):
        cohort = cohort_selectors.cohort_get(slug=self.kwargs["cohort_slug"])
        return cohort and selectors.event_get(cohort=cohort, code=self.kwargs["code"])

    @property
    def cohort(self):
        return self.object.cohort


class PracticeEventCreateView(PracticeCohortMixin, ServiceFormMixin, PracticeView, FormView):
    template_name = "cohorts/events/event_form.html"
    form_class = EventForm
    practice_roles = ADMINS

    def get_context_data(self, **kwargs):
        cohort = self.cohort
        return super().get_context_data(cohort=cohort, heading="Add an event", button="Add event", **kwargs)

    def call_service(self, data):
        return services.event_create(actor=self.request.user, cohort=self.cohort, **data)

    def service_done(self, event):
        messages.success(self.request, f"{event.title} is added. People can register on its public page.")
        return redirect("cohorts:practice_event", cohort_slug=self.cohort.slug, code=event.code)


class PracticeEventEditView(PracticeEventMixin, ServiceFormMixin, PracticeView, FormView):
    template_name = "cohorts/events/event_form.html"
    form_class = EventForm
    practice_roles = ADMINS

    def get_initial(self):
        event = self.object
        return {name: getattr(event, name) for name in services.EVENT_FIELDS}

    def get_context_data(self, **kwargs):
        event = self.object
        return super().get_context_data(
            cohort=event.cohort, event=event, heading=f"Change {event.title}", button="Save changes", **kwargs
        )

    def call_service(self, data):
        return services.event_update(actor=self.request.user, event=self.object, **data)

    def service_done(self, event):
        messages.success(self.request, f"{event.title} is saved.")
        return redirect("cohorts:practice_event", cohort_slug=self.kwargs["cohort_slug"], code=event.code)


class PracticeEventDeleteView(PracticeEventMixin, ServiceFormMixin, PracticeView, FormView):
    template_name = "cohorts/events/event_delete.html"
    form_class = ButtonForm
    practice_roles = ADMINS

    def get_context_data(self, **kwargs):
        event = self.object
        return super().get_context_data(cohort=event.cohort, event=event, **kwargs)

    def call_service(self, data):
        return services.event_delete(actor=self.request.user, event=self.object)

    def service_done(self, result):
        messages.success(self.request, f"{self.object.title} is deleted.")
        return redirect("cohorts:practice_cohort", cohort_slug=self.kwargs["cohort_slug"])


class PracticeEventView(PracticeEventMixin, PracticeView, TemplateView):
    """An event and everyone registered for it (count against capacity), with downloads."""

    practice_roles = ADMINS_AND_ANALYSTS  # registrations are people's details: not for reviewers

    template_name = "cohorts/events/practice_event.html"

    def get_context_data(self, **kwargs):
        event = self.object
        return super().get_context_data(
            cohort=event.cohort,
            event=event,
            registrations=list(selectors.registration_list(event=event)),
            places_left=selectors.places_left(event),
            can_manage=self.access.has_practice_role(ADMINS),
            **kwargs,
        )


REGISTRATION_HEADER = ["Name", "Email", "Organisation", "Registered (UK time)", "Status", "Cancelled (UK time)", "Reminded"]


class PracticeEventExportView(PracticeEventMixin, PracticeView, TemplateView):
    """The registrations as CSV or XLSX (formula-neutralised by ``pine.exports``)."""

    practice_roles = ADMINS_AND_ANALYSTS  # registrations are people's details: not for reviewers

    file_format = "csv"

    def get(self, request, *args, **kwargs):
        event = self.object
        rows = [
            [
                r.name,
                r.email,
                r.organisation,
                govuk_datetime(r.registered_at),
                "Cancelled" if r.cancelled_at else "Registered",
                govuk_datetime(r.cancelled_at),
                "Yes" if r.reminded_at else "No",
            ]
            for r in selectors.registration_list(event=event)
        ]
        stem = f"{slugify(event.title)[:60] or 'event'}-registrations-{timezone.localdate():%Y-%m-%d}"
        if self.file_format == "xlsx":
            return xlsx_response(f"{stem}.xlsx", REGISTRATION_HEADER, rows, sheet_title="Registrations")
        return csv_response(f"{stem}.csv", REGISTRATION_HEADER, rows)


# --- the practice team: documents ------------------------------------------------------------------


class PracticeDocumentMixin(PracticeCohortMixin):
    """A page about one document of the cohort's call: ``self.object``; the cohort through it."""

    def scoped_object(self):
        cohort = cohort_selectors.cohort_get(slug=self.kwargs["cohort_slug"])
        return cohort and selectors.document_get(cohort=cohort, code=self.kwargs["code"])

    @property
    def cohort(self):
        return self.object.cohort


class PracticeDocumentUploadView(PracticeCohortMixin, ServiceFormMixin, PracticeView, FormView):
    template_name = "cohorts/events/document_form.html"
    form_class = DocumentForm
    practice_roles = ADMINS

    def get_context_data(self, **kwargs):
        return super().get_context_data(cohort=self.cohort, **kwargs)

    def call_service(self, data):
        uploaded = data["file"]
        return services.document_upload(
            actor=self.request.user, cohort=self.cohort, title=data["title"], filename=uploaded.name, content=uploaded.read()
        )

    def service_done(self, document):
        messages.success(self.request, f"{document.title} is attached to {self.cohort.name}.")
        return redirect("cohorts:practice_cohort", cohort_slug=self.cohort.slug)


class PracticeDocumentView(PracticeDocumentMixin, PracticeView, TemplateView):
    """Any cohort's document, a draft's too, for the practice team."""

    def get(self, request, *args, **kwargs):
        return _download(self.object)


class PracticeDocumentDeleteView(PracticeDocumentMixin, ServiceFormMixin, PracticeView, FormView):
    template_name = "cohorts/events/document_delete.html"
    form_class = ButtonForm
    practice_roles = ADMINS

    def get_context_data(self, **kwargs):
        return super().get_context_data(cohort=self.cohort, document=self.object, **kwargs)

    def call_service(self, data):
        return services.document_delete(actor=self.request.user, document=self.object)

    def service_done(self, result):
        messages.success(self.request, f"{self.object.title} is deleted.")
        return redirect("cohorts:practice_cohort", cohort_slug=self.kwargs["cohort_slug"])
