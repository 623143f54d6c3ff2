"""Pages of 'Discuss your application': the form on an open call (a visitor's, or a partner's
member's), and the practice team's reply."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import FormView

from cohorts.forms.applications import EnquiryForm, EnquiryReplyForm, PartnerEnquiryForm
from cohorts.selectors import applications as selectors
from cohorts.selectors import enquiries as enquiry_selectors
from cohorts.services import enquiries as services
from pine import ratelimit
from pine.access import ADMINS, ADMINS_AND_ANALYSTS
from pine.scoping import PartnerView, PracticeView, PublicView
from pine.views import ServiceFormMixin


def _open_cohort(slug: str):
    cohort = selectors.cohort_get_public(slug=slug)
    if cohort is None or not cohort.is_accepting_applications():
        raise Http404("No open call.")
    return cohort


class PublicEnquiryView(ServiceFormMixin, PublicView, FormView):
    """A visitor's message to the practice team (a partner's member writes from the partner's page,
    so that the conversation is kept with its application)."""

    template_name = "cohorts/enquiry_public.html"
    form_class = EnquiryForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(cohort=_open_cohort(self.kwargs["cohort_slug"]), **kwargs)

    def call_service(self, data):
        cohort = _open_cohort(self.kwargs["cohort_slug"])
        return services.enquiry_send(cohort=cohort, client_ip=ratelimit.client_ip(self.request), **data)

    def service_done(self, enquiry):
        messages.success(self.request, f"Your message is sent. The practice team will reply to {enquiry.email}.")
        return redirect("cohorts:public_detail", cohort_slug=self.kwargs["cohort_slug"])


class PartnerEnquiryView(ServiceFormMixin, PartnerView, FormView):
    """A partner's member writes to the practice team about an open call; their messages and the
    replies are listed (and later shown with the partner's application)."""

    template_name = "cohorts/enquiry_partner.html"
    form_class = PartnerEnquiryForm

    def scoped_object(self):
        return selectors.cohort_get_public(slug=self.kwargs["cohort_slug"])

    def get_context_data(self, **kwargs):
        cohort = self.object
        return super().get_context_data(
            cohort=cohort,
            enquiries=list(enquiry_selectors.enquiry_list(partner=self.partner, cohort=cohort)),
            is_open=cohort.is_accepting_applications(),
            **kwargs,
        )

    def call_service(self, data):
        return services.enquiry_send(
            cohort=self.object,
            partner=self.partner,
            actor=self.request.user,
            client_ip=ratelimit.client_ip(self.request),
            **data,
        )

    def service_done(self, enquiry):
        messages.success(self.request, "Your message is sent. The practice team will reply here and by email.")
        return redirect("cohorts:partner_enquiry", partner_slug=self.partner.slug, cohort_slug=self.object.slug)


class PracticeEnquiryView(ServiceFormMixin, PracticeView, FormView):
    """One message from the work queue, and the reply."""

    template_name = "cohorts/practice_enquiry.html"
    form_class = EnquiryReplyForm
    practice_roles = ADMINS_AND_ANALYSTS

    def scoped_object(self):
        return enquiry_selectors.enquiry_get_for_practice(code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            enquiry=self.object, can_reply=self.access.has_practice_role(ADMINS) and not self.object.replied_at, **kwargs
        )

    def post(self, request, *args, **kwargs):
        if not self.access.has_practice_role(ADMINS):
            raise Http404("No such message.")
        return super().post(request, *args, **kwargs)

    def call_service(self, data):
        return services.enquiry_reply(actor=self.request.user, enquiry=self.object, **data)

    def service_done(self, enquiry):
        messages.success(self.request, f"Your reply is sent to {enquiry.email}.")
        return redirect("cohorts:practice_enquiry", code=enquiry.code)
