"""Uploads are files: the request only stores the file as received and queues it; the worker reads
it once, streamed, and keeps of it only what it read, pseudonymised, while the upload is pending.
Every limit is checked before the costly part it protects (issue 14, Medium 3)."""

import io
import runpy
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client, TestCase
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart
from django.urls import reverse
from django.utils.module_loading import import_string

import outcomes.parsing
from outcomes import services
from outcomes.models import OutcomeValue, Submission
from outcomes.parsing import CHILD_DUPLICATE_FIX, HashParts
from pine import services as pine_services
from tests import factories
from tests.outcomes.test_children import RAW

pytestmark = pytest.mark.django_db

HEADER = "measure,period_start,period_end,group,value,numerator,denominator\n"
APRIL = "re_referrals_12m,01/04/2025,30/04/2025,intervention,20,40,200\n"
MAY_UNUSUAL = "re_referrals_12m,01/05/2025,31/05/2025,intervention,100,200,200\n"


def workers():
    """Run the Celery tasks queued on commit (eager mode runs them in-process)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def files_of(submission: Submission) -> list[str]:
    try:
        return storages["uploads"].listdir(f"outcomes/{submission.partner_id}/{submission.code}")[1]
    except FileNotFoundError:
        return []


def page_url(partner, evaluation) -> str:
    return reverse("reports:evaluation", args=[partner.slug, evaluation.code])


def api_url(partner, evaluation) -> str:
    return f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/submissions/"


def api_for(user) -> Client:
    _, key = pine_services.api_token_create(user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


class CountingPayload(FakePayload):
    """A request body that counts how much of it the server read."""

    def __init__(self, content):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def post_counting(client: Client, url: str, data: dict) -> tuple:
    body = encode_multipart(BOUNDARY, data)
    payload = CountingPayload(body)
    response = client.generic("POST", url, b"", MULTIPART_CONTENT, **{"wsgi.input": payload, "CONTENT_LENGTH": len(body)})
    return response, payload.bytes_read, len(body)


# --- no parsing in the request ------------------------------------------------------------------------


def test_a_600000_column_csv_is_queued_at_once_and_refused_by_the_worker(client, lead, partner, evaluation):
    wide = ("measure," + ",".join(f"c{i}" for i in range(600_000)) + "\n").encode()
    client.force_login(lead)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        response = client.post(page_url(partner, evaluation), {"file": SimpleUploadedFile("wide.csv", wide)})
    # Queued, not refused: the request did not read the file (the worker does, below).
    submission = Submission.objects.get()
    assert response.status_code == 302 and submission.status == Submission.Status.QUEUED
    assert files_of(submission) == ["received"]
    with workers():
        for callback in queued:
            callback()
    submission.refresh_from_db()
    assert submission.status == Submission.Status.REJECTED
    assert "more than 500 columns" in submission.errors[0]["reason"]
    assert files_of(submission) == []


def test_a_request_over_the_limit_is_refused_on_the_page_without_reading_the_file(client, lead, partner, evaluation, settings):
    settings.OUTCOME_UPLOAD_MAX_BYTES = 1024 * 1024
    client.force_login(lead)
    big = (HEADER + APRIL * 40_000).encode()  # 2.6 MB
    response, read, sent = post_counting(client, page_url(partner, evaluation), {"file": SimpleUploadedFile("big.csv", big)})
    assert response.status_code == 200
    assert "The file is larger than 1 MB" in response.content.decode()
    assert read < sent - len(big)  # the file's bytes were never read
    assert not Submission.objects.exists()


def test_a_request_over_the_limit_is_refused_by_the_api_with_413(lead, partner, evaluation, other_partner, settings):
    settings.OUTCOME_UPLOAD_MAX_BYTES = 1024 * 1024
    api = api_for(lead)
    big = (HEADER + APRIL * 40_000).encode()
    response, read, sent = post_counting(api, api_url(partner, evaluation), {"file": SimpleUploadedFile("big.csv", big)})
    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than 1 MB. Split it into smaller files."}
    assert read == 0
    assert not Submission.objects.exists()
    theirs = factories.EvaluationFactory(application__partner=other_partner)
    response, _, _ = post_counting(api, api_url(other_partner, theirs), {"file": SimpleUploadedFile("big.csv", big)})
    assert response.status_code == 404


def test_the_onboarding_api_takes_no_larger_agreement_than_the_page(lead, partner, evaluation, monkeypatch):
    import evaluations.api

    url = f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/onboarding/"
    api = api_for(lead)
    body = encode_multipart(BOUNDARY, {"dsa_document": SimpleUploadedFile("dsa.pdf", b"%PDF" + b"x" * 1000)})
    claimed = api.generic("PATCH", url, body, MULTIPART_CONTENT, CONTENT_LENGTH=60 * 1024 * 1024)
    assert claimed.status_code == 413 and "smaller than 20 MB" in claimed.json()["detail"]
    monkeypatch.setattr(evaluations.api, "MAX_DOCUMENT_BYTES", 500)  # the document itself, once read
    refused = api.generic("PATCH", url, body, MULTIPART_CONTENT)
    assert refused.status_code == 400 and "smaller than 20 MB" in str(refused.json())


# --- the files, before and after processing -------------------------------------------------------------


@pytest.mark.parametrize(("text", "status"), [(HEADER + APRIL, "accepted"), (HEADER + "nope,1,2,all,1,,\n", "rejected")])
def test_a_finished_upload_keeps_no_file(text, status, client, lead, partner, evaluation):
    client.force_login(lead)
    with workers():
        client.post(page_url(partner, evaluation), {"file": SimpleUploadedFile("d.csv", text.encode())})
    submission = Submission.objects.get()
    assert submission.status == status
    assert (submission.received.name, submission.kept.name, files_of(submission)) == ("", "", [])


def test_a_pending_upload_keeps_what_was_read_and_its_explanation_is_processed_from_it(lead, partner, evaluation):
    with workers():
        services.submission_upload(
            partner=partner, actor=lead, evaluation=evaluation, filename="a.csv", content=(HEADER + APRIL).encode()
        )
        # a column with no header is not read (a named column PINE does not read refuses the file)
        text = HEADER.replace("denominator", "denominator,") + MAY_UNUSUAL.strip() + f",{RAW}\n"
        pending = services.submission_queue(
            partner=partner, actor=lead, evaluation=evaluation, filename="b.csv", content=text.encode()
        )
    pending.refresh_from_db()
    assert pending.status == Submission.Status.NEEDS_EXPLANATION
    assert files_of(pending) == ["kept.csv"] and not pending.received
    kept = pending.kept_bytes().decode()
    assert "re_referrals_12m,01/05/2025" in kept and RAW not in kept
    with workers():
        services.submission_explain(partner=partner, actor=lead, submission=pending, explanation="A new team started.")
    pending.refresh_from_db()
    assert pending.status == Submission.Status.ACCEPTED, pending.errors
    assert OutcomeValue.objects.get(submission=pending).value == 100
    assert (pending.kept.name, files_of(pending)) == ("", [])


def test_a_retry_after_the_database_went_away_reads_the_received_file_again(lead, partner, evaluation, monkeypatch):
    with TestCase.captureOnCommitCallbacks(execute=False):
        submission = services.submission_queue(
            partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=(HEADER + APRIL).encode()
        )
    real = services._ingest

    def database_gone(*args, **kwargs):
        raise OperationalError("the server closed the connection")

    monkeypatch.setattr(services, "_ingest", database_gone)
    with pytest.raises(OperationalError), workers():
        services.submission_process(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED and files_of(submission) == ["received"]
    monkeypatch.setattr(services, "_ingest", real)
    with workers():
        assert services.submission_process(submission_id=submission.pk) == "accepted"
    assert files_of(submission) == []


def test_an_upload_that_fails_keeps_no_file(lead, partner, evaluation, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "_ingest", broken)
    with workers():
        submission = services.submission_upload(
            partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=(HEADER + APRIL).encode()
        )
    assert submission.status == Submission.Status.FAILED
    assert (submission.received.name, files_of(submission)) == ("", [])


# --- limits -------------------------------------------------------------------------------------------------


def zip_bomb(strings: int) -> bytes:
    """A small workbook whose shared strings table holds ``strings`` strings."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        book.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr(
            "xl/worksheets/sheet1.xml", '<worksheet><sheetData><row r="1"><c t="s"><v>0</v></c></row></sheetData></worksheet>'
        )
        with book.open("xl/sharedStrings.xml", "w") as xml:
            xml.write(f'<sst count="{strings}" uniqueCount="{strings}">'.encode())
            block = b"<si><t>x</t></si>" * 10_000
            for _ in range(strings // 10_000):
                xml.write(block)
            xml.write(b"</sst>")
    return buffer.getvalue()


def test_a_workbook_that_unpacks_to_millions_of_strings_is_refused_before_it_is_unpacked(lead, partner, evaluation):
    """(Speed is the benchmarks' business, not a timed assertion: the refusal comes from the zip's
    directory and the count of shared strings, before openpyxl reads a cell.)"""
    bomb = zip_bomb(5_000_000)
    assert len(bomb) < 400_000
    with workers():
        submission = services.submission_queue(
            partner=partner, actor=lead, evaluation=evaluation, filename="b.xlsx", content=bomb
        )
    submission.refresh_from_db()
    assert submission.status == Submission.Status.REJECTED
    assert "unpacks to more data than PINE reads" in submission.errors[0]["reason"]
    assert files_of(submission) == []


def test_the_limits_are_settings_and_their_messages_quote_them(lead, partner, evaluation, settings):
    settings.OUTCOME_UPLOAD_MAX_ROWS = 3
    rows = "".join(f"re_referrals_12m,01/{m:02d}/2025,28/{m:02d}/2025,all,1,,\n" for m in range(1, 6))
    with workers():
        long = services.submission_upload(
            partner=partner, actor=lead, evaluation=evaluation, filename="l.csv", content=(HEADER + rows).encode()
        )
    assert long.status == "rejected"
    assert long.errors[-1]["reason"] == "The file has more than 3 rows. Split it into smaller files."
    settings.OUTCOME_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    with workers():
        big = services.submission_upload(
            partner=partner, actor=lead, evaluation=evaluation, filename="b.csv", content=b"x" * (3 * 1024 * 1024)
        )
    assert big.status == "rejected" and big.errors[0]["reason"].startswith("The file is larger than 2 MB.")
    assert files_of(big) == []


def test_duplicates_across_chunks_and_spilled_parts_name_the_first_row(lead, partner, evaluation, monkeypatch):
    monkeypatch.setattr(services, "INGEST_CHUNK_ROWS", 7)
    monkeypatch.setattr(HashParts, "BUFFER_ROWS", 5)  # the keys go to temporary files almost at once
    rows = [f"C{n},entries_to_care,01/04/2025,30/04/2025,all,\n" for n in range(60)]
    rows[45] = rows[3]  # line 47 repeats line 5
    rows[58] = rows[50]  # line 60 repeats line 52
    text = "child_ref,measure,period_start,period_end,group,value\n" + "".join(rows)
    with workers():
        submission = services.submission_upload(
            partner=partner, actor=lead, evaluation=evaluation, filename="c.csv", content=text.encode()
        )
    assert [(p["row"], p["reason"]) for p in submission.errors] == [
        (
            47,
            "Duplicate: row 5 has the same child, measure, group and period. " + CHILD_DUPLICATE_FIX,
        ),
        (
            60,
            "Duplicate: row 52 has the same child, measure, group and period. " + CHILD_DUPLICATE_FIX,
        ),
    ]


# --- where the files are ------------------------------------------------------------------------------------


def test_tests_store_uploads_in_a_temporary_directory_not_the_repository():
    location = Path(storages["uploads"].location)
    assert "pine-test-uploads-" in location.name
    assert Path(outcomes.parsing.__file__).resolve().parents[1] not in location.parents


def test_object_storage_is_chosen_by_the_environment(monkeypatch):
    settings_file = Path(outcomes.parsing.__file__).resolve().parents[1] / "pine" / "settings.py"
    monkeypatch.setenv("SECRET_KEY", "x")
    local = runpy.run_path(str(settings_file))["STORAGES"]["uploads"]
    assert local["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    monkeypatch.setenv("UPLOADS_S3_BUCKET", "pine-uploads")
    monkeypatch.setenv("UPLOADS_S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("UPLOADS_S3_REGION", "eu-west-2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "pine")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-for-the-test")
    uploads = runpy.run_path(str(settings_file))["STORAGES"]["uploads"]
    assert uploads["BACKEND"] == "storages.backends.s3.S3Storage"
    storage = import_string(uploads["BACKEND"])(**uploads["OPTIONS"])  # no network until a file is read or written
    assert (storage.bucket_name, storage.endpoint_url, storage.region_name) == ("pine-uploads", "http://minio:9000", "eu-west-2")
    assert (storage.location, storage.default_acl, storage.file_overwrite) == ("uploads", "private", False)
    # A file read back is spooled to disk past a few megabytes, not held whole in the worker's memory
    # (before: max_memory_size 0, which never rolls over). The download is stood in for: no network.
    from storages.backends.s3 import S3File

    received = S3File("outcomes/1/x/received", "wb", storage)  # opening to write touches no network
    received._mode = "rb"
    received.obj.download_fileobj = lambda out, **kwargs: out.write(b"x" * (9 * 1024 * 1024))
    assert received.file._rolled and received.file.read(3) == b"xxx"
    received.file.close()
