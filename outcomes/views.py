"""Pages: a partner's data uploads and their problems."""

import csv
import io

from django.http import Http404, HttpResponse
from django.views.generic import TemplateView

from outcomes import selectors
from pine.scoping import PartnerView


class SubmissionDetailView(PartnerView, TemplateView):
    template_name = "outcomes/submission_detail.html"

    def get_context_data(self, **kwargs):
        submission = selectors.submission_get(partner=self.partner, code=self.kwargs["code"])
        if submission is None:
            raise Http404("No such upload.")
        return super().get_context_data(submission=submission, **kwargs)


class SubmissionErrorsCsvView(PartnerView):
    def get(self, request, partner_slug, code):
        submission = selectors.submission_get(partner=self.partner, code=code)
        if submission is None:
            raise Http404("No such upload.")
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["row", "column", "value", "reason"])
        writer.writeheader()
        for problem in submission.errors:
            # Neutralise anything a spreadsheet would run as a formula.
            writer.writerow({k: ("'" + str(v) if str(v).startswith(("=", "+", "-", "@")) else v) for k, v in problem.items()})
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="problems-{submission.code}.csv"'
        return response
