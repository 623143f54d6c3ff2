"""Final, approved and published report versions: the partner's lead writes key messages and marks
a version final (its HTML and PDF drawn again, its results JSON unchanged); a practice admin approves
it or sends it back; the public "Published evaluations" page and API list what is approved, and
every public download is counted in the audit trail."""

import json
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import services as evaluation_services
from outcomes import services as outcome_services
from pine.models import AuditEvent, Notification
from reports import services
from reports.models import PublishedReport, Report
from tests import factories
from tests.conftest import in_scope_of, token_client, verified_client
from tests.reports.test_versions import DATA, PLAN, build

pytestmark = pytest.mark.django_db

RESULTS = {
    "measures": [
        {
            "measure": "re_referrals_12m",
            "name": "Re-referrals within 12 months",
            "primary": True,
            "scale": "percentage points",
            "estimate": -5.35,
            "ci_low": -5.69,
            "ci_high": -5.01,
            "conclusion": "improved",
        },
        {
            "measure": "cla_rate",
            "name": "Children looked after",
            "primary": False,
            "estimate": None,
            "conclusion": "not estimable",
        },
    ]
}


def finished(evaluation, *, version=1, draft=False, publication=Report.Publication.NOT_FINAL, narrative="") -> Report:
    """A finished version without building it (the build is tested in test_versions.py)."""
    return factories.ReportFactory(
        evaluation=evaluation,
        status=Report.Status.DONE,
        version=version,
        draft=draft,
        publication=publication,
        narrative=narrative,
        html=b"<html>report</html>",
        pdf=b"%PDF-1.7 report",
        results=json.dumps(RESULTS).encode(),
        xlsx=b"PK xlsx report",
        docx=b"PK docx report",
    )


def actions(obj) -> list[str]:
    with in_scope_of():
        return list(AuditEvent.objects.filter(object_code=str(obj.code)).order_by("pk").values_list("action", flat=True))


# --- services ---------------------------------------------------------------------------------------


def signed_off_build(partner, lead, practice_admin, evaluation) -> Report:
    outcome_services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=DATA.encode()
    )
    plan = evaluation_services.plan_save_draft(partner=partner, actor=lead, evaluation=evaluation, **PLAN)
    evaluation_services.plan_sign_off(actor=practice_admin, plan=plan)
    return build(partner, lead, evaluation)


def test_marking_final_draws_the_key_messages_into_the_files_and_keeps_the_results_json(
    lead, partner, practice_admin, evaluation
):
    report = signed_off_build(partner, lead, practice_admin, evaluation)
    results_before, html_before, docx_before = bytes(report.results), bytes(report.html), bytes(report.docx)
    with in_scope_of(partner):
        services.report_narrative_update(
            partner=partner, actor=lead, report=report, narrative="Families told us the conferences helped."
        )
        finalisation = services.report_mark_final(partner=partner, actor=lead, report=report)
    # Queued for a worker: not final yet, and nothing about the version can change meanwhile.
    report.refresh_from_db()
    assert report.publication == Report.Publication.NOT_FINAL and finalisation.status == "queued"
    assert bytes(report.html) == html_before
    with in_scope_of(partner), pytest.raises(ValidationError, match="being marked final"):
        services.report_narrative_update(partner=partner, actor=lead, report=report, narrative="Changed.")
    with in_scope_of(partner), pytest.raises(ValidationError, match="being marked final"):
        services.report_mark_final(partner=partner, actor=lead, report=report)

    assert services.report_finalise(finalisation_id=finalisation.pk) == "done"
    report.refresh_from_db()
    finalisation.refresh_from_db()
    assert (finalisation.status, finalisation.progress, finalisation.error) == ("done", 100, "")
    assert report.publication == Report.Publication.FINAL and report.finalised_by == lead
    assert bytes(report.results) == results_before  # byte-identical
    html = unescape(bytes(report.html).decode())
    assert html != unescape(html_before.decode()) and "In the partner's own words" in html
    assert "Families told us the conferences helped." in html
    assert bytes(report.docx) != docx_before and "Families told us the conferences helped." in docx_text(report.docx)
    assert actions(report)[-2:] == ["report.narrative", "report.final"]
    assert actions(finalisation) == ["report.final_request"]
    assert Notification.objects.filter(recipient=practice_admin, subject__contains="awaiting your approval").count() == 1
    with in_scope_of(partner), pytest.raises(ValidationError, match="final"):
        services.report_narrative_update(partner=partner, actor=lead, report=report, narrative="Changed.")
    # The task again (a duplicate, a retry): nothing happens twice.
    assert services.report_finalise(finalisation_id=finalisation.pk) == "skipped"
    assert actions(report).count("report.final") == 1
    assert Notification.objects.filter(recipient=practice_admin, subject__contains="awaiting your approval").count() == 1


def docx_text(content) -> str:
    import io

    import docx

    document = docx.Document(io.BytesIO(bytes(content)))
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def test_a_failed_finalisation_leaves_the_version_as_it_was_and_says_why(
    client, lead, partner, practice_admin, evaluation, monkeypatch
):
    report = signed_off_build(partner, lead, practice_admin, evaluation)
    files_before = bytes(report.html), bytes(report.pdf), bytes(report.docx)
    with in_scope_of(partner):
        services.report_narrative_update(partner=partner, actor=lead, report=report, narrative="Our words.")
        finalisation = services.report_mark_final(partner=partner, actor=lead, report=report)

    def broken(*args, **kwargs):  # the worker fails after the HTML and PDF are drawn
        raise RuntimeError("the Word document could not be written")

    monkeypatch.setattr("reports.word.report_docx", broken)
    assert services.report_finalise(finalisation_id=finalisation.pk) == "failed"
    report.refresh_from_db()
    finalisation.refresh_from_db()
    assert report.publication == Report.Publication.NOT_FINAL and report.finalised_at is None
    assert (bytes(report.html), bytes(report.pdf), bytes(report.docx)) == files_before  # nothing half-written
    assert finalisation.status == "failed" and "could not be marked final" in finalisation.error
    assert "report.final" not in actions(report)
    assert not Notification.objects.filter(recipient=practice_admin, subject__contains="awaiting your approval").exists()
    client.force_login(lead)
    page = client.get(reverse("reports:report", args=[partner.slug, report.code])).content.decode()
    assert "The report could not be marked final" in page and "Save and mark final" in page
    # The lead can try again once the fault is gone.
    monkeypatch.undo()
    with in_scope_of(partner):
        again = services.report_mark_final(partner=partner, actor=lead, report=report)
    assert services.report_finalise(finalisation_id=again.pk) == "done"
    report.refresh_from_db()
    assert report.publication == Report.Publication.FINAL


def test_a_version_whose_results_no_longer_rebuild_is_not_marked_final(lead, partner, practice_admin, evaluation):
    report = signed_off_build(partner, lead, practice_admin, evaluation)
    Report.objects.filter(pk=report.pk).update(results=b'{"tampered": true}')
    with in_scope_of(partner):
        finalisation = services.report_mark_final(partner=partner, actor=lead, report=report)
    assert services.report_finalise(finalisation_id=finalisation.pk) == "failed"
    finalisation.refresh_from_db()
    report.refresh_from_db()
    assert "can no longer be rebuilt" in finalisation.error and report.publication == Report.Publication.NOT_FINAL


def test_the_page_and_the_api_show_the_progress_of_marking_final(client, lead, other_lead, partner, evaluation):
    report = finished(evaluation)
    client.force_login(lead)
    url = reverse("reports:report", args=[partner.slug, report.code])
    response = client.post(
        reverse("reports:report_narrative", args=[partner.slug, report.code]), {"narrative": "Ours.", "final": "1"}, follow=True
    )
    page = response.content.decode()
    assert "being marked final" in page and 'id="final-progress-bar"' in page and "Save and mark final" not in page
    fragment = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-publication").content.decode()
    assert fragment.startswith('<div id="report-publication"') and "every 2s" in fragment and "Waiting for a worker" in fragment
    api = token_client(lead)
    detail = api.get(f"/api/v1/partners/{partner.slug}/reports/{report.code}/").json()
    assert detail["publication"] == "not_final" and detail["finalisation"]["status"] == "queued"
    assert token_client(other_lead).get(f"/api/v1/partners/{partner.slug}/reports/{report.code}/").status_code == 404


def test_the_api_queues_marking_final(lead, partner, evaluation):
    report = finished(evaluation)
    api = token_client(lead)
    response = api.post(f"/api/v1/partners/{partner.slug}/reports/{report.code}/final/")
    assert response.status_code == 202
    assert response.json()["publication"] == "not_final" and response.json()["finalisation"]["status"] == "queued"
    again = api.post(f"/api/v1/partners/{partner.slug}/reports/{report.code}/final/")
    assert again.status_code == 400 and "being marked final" in json.dumps(again.json())


def test_a_draft_report_cannot_be_marked_final(lead, partner, evaluation):
    report = finished(evaluation, draft=True)
    with pytest.raises(ValidationError, match="not signed off"):
        services.report_mark_final(partner=partner, actor=lead, report=report)
    report.refresh_from_db()
    assert report.publication == Report.Publication.NOT_FINAL


def test_only_the_partners_lead_writes_key_messages_or_marks_final(contributor, partner, evaluation):
    report = finished(evaluation)
    with pytest.raises(PermissionDenied):
        services.report_narrative_update(partner=partner, actor=contributor, report=report, narrative="Ours.")
    with pytest.raises(PermissionDenied):
        services.report_mark_final(partner=partner, actor=contributor, report=report)


def test_key_messages_are_at_most_300_words(lead, partner, evaluation):
    report = finished(evaluation)
    with pytest.raises(ValidationError, match=r"300 words or fewer \(these are 301 words\)"):
        services.report_narrative_update(partner=partner, actor=lead, report=report, narrative="word " * 301)
    services.report_narrative_update(partner=partner, actor=lead, report=report, narrative="word " * 300)


def test_a_practice_admin_approves_a_final_report_and_it_is_published(practice_admin, lead, evaluation):
    evaluation.application.cohort.theme = "Front door"
    evaluation.application.cohort.save()
    report = finished(evaluation, publication=Report.Publication.FINAL, narrative="In our words.")
    published = services.report_approve(actor=practice_admin, report=report)
    report.refresh_from_db()
    assert report.publication == Report.Publication.PUBLISHED and report.published_by == practice_admin
    assert (published.cohort_name, published.theme) == (evaluation.application.cohort.name, "Front door")
    assert published.practice_title == evaluation.application.practice_title
    assert published.partner_name == evaluation.partner.name and published.narrative == "In our words."
    assert published.key_messages == [
        "Re-referrals within 12 months: improved (estimated change -5.35 percentage points, 95% interval -5.69 to -5.01).",
        "Children looked after (secondary, exploratory): not estimable.",
    ]
    assert bytes(published.results) == bytes(report.results) and bytes(published.pdf) == bytes(report.pdf)
    assert actions(report) == ["report.approve"] and actions(published) == ["published_report.create"]
    assert Notification.objects.filter(recipient=lead, subject__contains="published").exists()
    with pytest.raises(ValidationError, match="marked final"):
        services.report_approve(actor=practice_admin, report=report)  # once


def test_only_a_practice_admin_approves_and_only_a_final_report(practice_admin, evaluation):
    analyst = factories.PracticeUserFactory(practice_role="analyst")
    final = finished(evaluation, publication=Report.Publication.FINAL)
    with pytest.raises(PermissionDenied):
        services.report_approve(actor=analyst, report=final)
    not_final = finished(evaluation, version=2)
    with pytest.raises(ValidationError):
        services.report_approve(actor=practice_admin, report=not_final)
    assert not PublishedReport.objects.exists()


def test_sending_back_needs_a_reason_and_makes_the_report_not_final_again(practice_admin, lead, evaluation):
    report = finished(evaluation, publication=Report.Publication.FINAL, narrative="Draft words.")
    with pytest.raises(ValidationError, match="Say why"):
        services.report_send_back(actor=practice_admin, report=report, reason="  ")
    services.report_send_back(actor=practice_admin, report=report, reason="Name the comparison districts.")
    report.refresh_from_db()
    assert report.publication == Report.Publication.NOT_FINAL and report.finalised_at is None
    assert report.sent_back_reason == "Name the comparison districts."
    assert actions(report) == ["report.send_back"]
    notice = Notification.objects.get(recipient=lead)
    assert "Name the comparison districts." in notice.body and notice.link.endswith(f"/reports/{report.code}/")


def test_earlier_published_versions_are_marked_superseded_by_the_newest(practice_admin, evaluation):
    first = services.report_approve(actor=practice_admin, report=finished(evaluation, publication="final"))
    third = services.report_approve(actor=practice_admin, report=finished(evaluation, version=3, publication="final"))
    second = services.report_approve(actor=practice_admin, report=finished(evaluation, version=2, publication="final"))
    for published in (first, second, third):
        published.refresh_from_db()
    assert [p.superseded_by_version for p in (first, second, third)] == [3, 3, None]


def test_the_database_refuses_a_final_draft(evaluation):
    from django.db import IntegrityError, transaction

    report = finished(evaluation, draft=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=report.pk).update(publication=Report.Publication.FINAL)


# --- pages -----------------------------------------------------------------------------------------


def test_the_lead_sees_the_key_messages_form_and_a_too_long_narrative_is_explained(client, lead, partner, evaluation):
    report = finished(evaluation)
    client.force_login(lead)
    page = client.get(reverse("reports:report", args=[partner.slug, report.code])).content.decode()
    assert "Save and mark final" in page
    response = client.post(reverse("reports:report_narrative", args=[partner.slug, report.code]), {"narrative": "w " * 301})
    assert response.status_code == 200 and "300 words or fewer" in response.content.decode()
    response = client.post(reverse("reports:report_narrative", args=[partner.slug, report.code]), {"narrative": "Short."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.narrative == "Short."


def test_the_page_says_why_a_draft_report_cannot_be_final(client, lead, partner, evaluation):
    report = finished(evaluation, draft=True)
    client.force_login(lead)
    page = client.get(reverse("reports:report", args=[partner.slug, report.code])).content.decode()
    assert "not signed off" in page and "Save and mark final" not in page
    response = client.post(
        reverse("reports:report_narrative", args=[partner.slug, report.code]), {"narrative": "x", "final": "1"}, follow=True
    )
    assert "not signed off" in response.content.decode()
    report.refresh_from_db()
    assert report.publication == Report.Publication.NOT_FINAL


def test_a_contributor_cannot_and_another_partner_gets_404(client, contributor, other_lead, partner, other_partner, evaluation):
    report = finished(evaluation)
    url = reverse("reports:report_narrative", args=[partner.slug, report.code])
    client.force_login(contributor)
    assert client.post(url, {"narrative": "x"}).status_code == 403
    client.force_login(other_lead)
    assert client.post(url, {"narrative": "x"}).status_code == 404
    own_slug_other_report = reverse("reports:report_narrative", args=[other_partner.slug, report.code])
    assert client.post(own_slug_other_report, {"narrative": "x"}).status_code == 404


def test_a_practice_admin_approves_from_the_list(practice_client, evaluation):
    report = finished(evaluation, publication=Report.Publication.FINAL, narrative="Our words.")
    listing = practice_client.get(reverse("reports:practice_reports")).content.decode()
    assert evaluation.title in listing
    page = practice_client.get(reverse("reports:practice_report", args=[report.code])).content.decode()
    assert "Our words." in page and "Approve for publication" in page
    refused = practice_client.post(reverse("reports:practice_report", args=[report.code]), {"reason": ""})
    assert refused.status_code == 200 and "There is a problem" in refused.content.decode()
    response = practice_client.post(reverse("reports:practice_report", args=[report.code]), {"approve": "1"})
    assert response.status_code == 302 and PublishedReport.objects.filter(report_code=report.code).exists()
    assert practice_client.get(reverse("reports:practice_report", args=[Report().code])).status_code == 404


def test_the_published_page_works_without_sign_in_and_filters(practice_admin, evaluation):
    other = factories.EvaluationFactory(application__cohort__name="PINE round 7", application__cohort__theme="Edge of care")
    services.report_approve(actor=practice_admin, report=finished(evaluation, publication="final", narrative="Helped."))
    services.report_approve(actor=practice_admin, report=finished(other, publication="final"))
    anonymous = Client()
    page = anonymous.get(reverse("reports:published")).content.decode()
    assert evaluation.application.practice_title in page and other.application.practice_title in page
    assert "Re-referrals within 12 months: improved" in page and "Helped." in page
    by_theme = anonymous.get(reverse("reports:published"), {"theme": "Edge of care"}).content.decode()
    assert other.application.practice_title in by_theme and evaluation.application.practice_title not in by_theme
    by_text = anonymous.get(reverse("reports:published"), {"q": "helped"}).content.decode()
    assert evaluation.application.practice_title in by_text and other.application.practice_title not in by_text
    odd = anonymous.get(reverse("reports:published"), {"q": "%' OR 1=1 --" * 50, "cohort": "\x00"})
    assert odd.status_code == 200 and "No published evaluations match" in odd.content.decode()


def test_public_downloads_are_counted_in_the_audit_trail(practice_admin, evaluation):
    published = services.report_approve(actor=practice_admin, report=finished(evaluation, publication="final"))
    anonymous = Client()
    page = anonymous.get(reverse("reports:published")).content.decode()
    for kind in ("html", "pdf", "docx", "xlsx", "json"):
        assert reverse("reports:published_download", args=[published.code, kind]) in page
    contents = {}
    for kind in ("html", "pdf", "docx", "xlsx", "json", "json"):
        response = anonymous.get(reverse("reports:published_download", args=[published.code, kind]))
        assert response.status_code == 200 and response["Content-Disposition"].endswith(f'-v1.{kind}"')
        contents[kind] = response.content
    assert json.loads(contents["json"]) == RESULTS
    assert (contents["docx"], contents["xlsx"]) == (b"PK docx report", b"PK xlsx report")  # the approved version's own
    with in_scope_of():
        downloads = AuditEvent.objects.filter(action="published_report.download", object_code=str(published.code))
        assert [e.changes["kind"] for e in downloads.order_by("pk")] == ["html", "pdf", "docx", "xlsx", "json", "json"]
    assert anonymous.get(reverse("reports:published_download", args=[Report().code, "pdf"])).status_code == 404


def test_a_copy_published_before_the_workbook_was_copied_offers_what_it_has(practice_admin, evaluation):
    published = services.report_approve(actor=practice_admin, report=finished(evaluation, publication="final"))
    PublishedReport.objects.filter(pk=published.pk).update(xlsx=None, docx=None)
    anonymous = Client()
    page = anonymous.get(reverse("reports:published")).content.decode()
    assert reverse("reports:published_download", args=[published.code, "pdf"]) in page
    assert reverse("reports:published_download", args=[published.code, "docx"]) not in page
    assert anonymous.get(reverse("reports:published_download", args=[published.code, "docx"])).status_code == 404
    (item,) = anonymous.get("/api/v1/published/").json()["results"]
    assert sorted(item["downloads"]) == ["html", "json", "pdf"]


def test_the_published_page_reads_a_fixed_number_of_queries(practice_admin, evaluation, django_assert_num_queries):
    services.report_approve(actor=practice_admin, report=finished(evaluation, publication="final"))
    anonymous = Client()
    with CaptureQueriesContext(connection) as one:
        anonymous.get(reverse("reports:published"))
    for version in (2, 3, 4):
        services.report_approve(actor=practice_admin, report=finished(evaluation, version=version, publication="final"))
    with django_assert_num_queries(len(one.captured_queries)):
        page = anonymous.get(reverse("reports:published")).content.decode()
    assert page.count("Superseded by version 4") == 3


def test_a_superseded_version_is_labelled_on_the_published_page(practice_admin, evaluation):
    services.report_approve(actor=practice_admin, report=finished(evaluation, publication="final"))
    services.report_approve(actor=practice_admin, report=finished(evaluation, version=2, publication="final"))
    page = Client().get(reverse("reports:published")).content.decode()
    assert page.count("Superseded by version 2") == 1


# --- API -----------------------------------------------------------------------------------------


def test_the_api_writes_key_messages_refuses_a_draft_and_another_partner_gets_404(lead, other_lead, partner, evaluation):
    report = finished(evaluation)
    draft = finished(evaluation, version=2, draft=True)
    api = token_client(lead)
    base = f"/api/v1/partners/{partner.slug}/reports"
    response = api.post(f"{base}/{report.code}/key-messages/", {"narrative": "Ours."}, content_type="application/json")
    assert response.status_code == 200 and response.json()["narrative"] == "Ours."
    too_long = api.post(f"{base}/{report.code}/key-messages/", {"narrative": "w " * 301}, content_type="application/json")
    assert too_long.status_code == 400 and "300 words" in json.dumps(too_long.json())
    refused = api.post(f"{base}/{draft.code}/final/")
    assert refused.status_code == 400 and "not signed off" in json.dumps(refused.json())
    other = token_client(other_lead)
    assert other.post(f"{base}/{report.code}/final/").status_code == 404
    assert other.post(f"/api/v1/partners/southbrook/reports/{report.code}/final/").status_code == 404


def test_the_api_approves_sends_back_and_lists_published_reports(practice_admin, evaluation):
    final = finished(evaluation, publication="final")
    to_send_back = finished(evaluation, version=2, publication="final")
    api = token_client(practice_admin)
    waiting = api.get("/api/v1/practice/reports/awaiting-approval/").json()
    assert {r["code"] for r in waiting["results"]} == {str(final.code), str(to_send_back.code)}
    sent = api.post(
        f"/api/v1/practice/reports/{to_send_back.code}/send-back/", {"reason": "Why?"}, content_type="application/json"
    )
    assert sent.status_code == 200 and sent.json()["publication"] == "not_final"
    approved = api.post(f"/api/v1/practice/reports/{final.code}/approve/")
    assert approved.status_code == 201
    assert api.post(f"/api/v1/practice/reports/{final.code}/approve/").status_code == 404  # no longer waiting
    listing = Client().get("/api/v1/published/", {"cohort": evaluation.application.cohort.name}).json()
    (item,) = listing["results"]
    assert item["version"] == 1 and item["key_messages"][0].startswith("Re-referrals")
    assert sorted(item["downloads"]) == ["docx", "html", "json", "pdf", "xlsx"]
    for kind in ("json", "docx", "xlsx"):
        assert Client().get(item["downloads"][kind]).status_code == 200


def test_practice_pages_are_for_practice_admins(client, lead, evaluation):
    report = finished(evaluation, publication="final")
    client.force_login(lead)
    assert client.get(reverse("reports:practice_reports")).status_code == 404
    analyst = factories.PracticeUserFactory(practice_role="analyst")
    assert verified_client(Client(), analyst).get(reverse("reports:practice_report", args=[report.code])).status_code == 403
