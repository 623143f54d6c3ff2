"""What PINE keeps of an upload: only what it read and checked, pseudonymised, or nothing. A file
refused while it is being read keeps no bytes; an accepted file keeps neither the cells beyond its
columns nor the other sheets of a workbook."""

import io

import openpyxl
import pytest
from django.core.files.storage import storages
from django.test import TestCase

from outcomes import services
from outcomes.models import Submission
from tests.outcomes.test_children import HEADER, RAW, dump_tables

pytestmark = pytest.mark.django_db

ROW = f"{RAW},re_referrals_12m,01/04/2025,30/04/2025,intervention,1\n"
NHS = "9434765919"  # a valid mod-11 check digit


def queue(partner, actor, evaluation, content: bytes, filename: str) -> Submission:
    """As a page or the API does: the file is stored as received, and a worker reads it (here, on
    commit: in-process, as Celery's eager mode runs it)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.submission_queue(partner=partner, actor=actor, evaluation=evaluation, filename=filename, content=content)


def upload(partner, actor, evaluation, content: bytes, filename: str) -> Submission:
    """Stored, then read and stored now (as the import command does)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.submission_upload(partner=partner, actor=actor, evaluation=evaluation, filename=filename, content=content)


def stored_files(submission: Submission) -> list[str]:
    """The files of the uploads storage under the submission's own folder."""
    storage = storages["uploads"]
    folder = f"outcomes/{submission.partner_id}/{submission.code}"
    try:
        return storage.listdir(folder)[1]
    except FileNotFoundError:
        return []


@pytest.mark.parametrize(
    "content, filename, reason",
    [
        ((HEADER + ROW).encode() + b"\x00", "nul.csv", "not text"),
        ((HEADER + ROW).encode() + b"\x81\x8d\x8f\x90\x9d", "neither-utf8-nor-1252.csv", "not text"),
        ((HEADER + ROW * 200).encode(), "too-big.csv", "larger than"),
        ((HEADER + ROW).encode(), "csv-named.xlsx", "cannot be read"),
    ],
)
def test_a_file_refused_while_it_is_read_keeps_no_bytes(content, filename, reason, lead, partner, evaluation, settings):
    settings.OUTCOME_UPLOAD_MAX_BYTES = 10_000
    submission = queue(partner, lead, evaluation, content, filename)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.REJECTED
    assert reason in submission.errors[0]["reason"]
    assert (submission.received.name, submission.kept.name) == ("", "")
    assert stored_files(submission) == []
    assert RAW not in dump_tables()


@pytest.mark.parametrize(
    "text",
    [
        # aggregate rows: nothing to pseudonymise, so nothing used to rewrite the file
        f"measure,period_start,period_end,group,value\nre_referrals_12m,01/04/2025,30/04/2025,all,20,Jane Doe,{NHS}\n",
        HEADER + f"{RAW},re_referrals_12m,01/04/2025,30/04/2025,intervention,1,Jane Doe,{NHS}\n",
    ],
)
def test_cells_beyond_the_header_are_not_kept(text, lead, partner, evaluation):
    submission = upload(partner, lead, evaluation, text.encode(), "extra-cells.csv")
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ACCEPTED, submission.errors
    kept = submission.kept_bytes().decode()
    assert "Jane Doe" not in kept and NHS not in kept and RAW not in kept
    assert "Jane Doe" not in dump_tables() and NHS not in dump_tables()


def test_a_column_it_does_not_read_refuses_the_file_and_nothing_is_kept(lead, partner, evaluation):
    text = "measure,period_start,period_end,group,value,notes\nre_referrals_12m,01/04/2025,30/04/2025,all,20,Jane Doe's file\n"
    submission = upload(partner, lead, evaluation, text.encode(), "notes.csv")
    submission.refresh_from_db()
    assert submission.status == Submission.Status.REJECTED and submission.errors[0]["column"] == "notes"
    assert submission.kept_bytes() == b"" and "Jane Doe" not in dump_tables()


def test_other_sheets_of_a_workbook_are_not_kept(lead, partner, evaluation):
    book = openpyxl.Workbook()
    data = book.active
    data.append(["child_ref", "measure", "period_start", "period_end", "group", "value"])
    data.append([RAW, "re_referrals_12m", "01/04/2025", "30/04/2025", "intervention", 1])
    children = book.create_sheet("Children")
    children.append(["reference", "name", "date of birth", "nhs", "postcode"])
    children.append(["LA-CHILD-999", "Jane Doe", "2014-03-02", NHS, "NR1 1AA"])
    buffer = io.BytesIO()
    book.save(buffer)
    submission = upload(partner, lead, evaluation, buffer.getvalue(), "with-children-sheet.xlsx")
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ACCEPTED, submission.errors
    assert submission.filename == "with-children-sheet.xlsx"
    kept = submission.kept_bytes()
    assert not kept.startswith(b"PK")  # not the workbook: the rows it read, as CSV
    for value in ("LA-CHILD-999", "Jane Doe", "2014-03-02", NHS, "NR1 1AA", RAW):
        assert value.encode() not in kept, value
        assert value not in dump_tables(), value
