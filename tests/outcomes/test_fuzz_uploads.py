"""Upload fuzzing: whatever a file holds — random headers, encodings, delimiters, widths, sheets, huge
and tiny numbers — it ends as accepted, rejected with its problems, or waiting for an explanation:
never failed (an unexpected error), never a server error, and never with a child's reference or an
NHS number stored as it was written. Bounded (CI runs it on every change), not exhaustive."""

import io
import os
import string

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from outcomes import services
from outcomes.children import normalised_header
from outcomes.models import Submission
from tests.outcomes.test_children import dump_tables

pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    database=None,  # no .hypothesis/ folder in the project
    suppress_health_check=list(HealthCheck),
)
FINISHED_WELL = {"accepted", "rejected", "needs_explanation"}
# Ten-digit NHS numbers with valid check digits, as partners might write them.
NHS_NUMBERS = ["9434765919", "943 476 5919", "943-476-5919", "943.476.5919", "NHS 4010232137", "+449434765919"]

COLUMNS = ["child_ref", "measure", "period_start", "period_end", "event_date", "group", "value", "numerator", "denominator"]
HEADERS = st.one_of(
    st.sampled_from(COLUMNS),
    st.sampled_from(["Child Ref", "PERIOD START", "name", "D.O.B", "nhs number", "postcode", "notes", "", "case_ref"]),
    st.text(alphabet=string.ascii_letters + string.digits + " _-.#", max_size=12),
)
NUMBERS = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e100000", "-0", "0.00001", "22.6%", "1,234", "1.234,5", "12,3", "c", "[x]", "", " ", "٣"]),
)
DATES = st.one_of(
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["01/04/2025", "30/04/2025", "2025-04-01", "31/02/2025", "04/31/2025", "", "yesterday"]),
)
CELLS = st.one_of(
    NUMBERS,
    DATES,
    st.sampled_from(
        [
            "re_referrals_12m",
            "entries_to_care",
            "days_referral_to_assessment",
            "cla_rate",
            "intervention",
            "comparison",
            "all",
            "=1+1",
            "@SUM(A1)",
            "+44 20",
            "-1",
        ]
    ),  # fmt: skip
    st.text(max_size=20),
)


@st.composite
def good_rows(draw) -> tuple[list[str], list[list[str]]]:
    """A file that would be accepted (aggregate or child-level rows), before any mutation."""
    month = draw(st.integers(1, 12))
    start, end = f"01/{month:02d}/2025", {2: "28", 4: "30", 6: "30", 9: "30", 11: "30"}.get(month, "31") + f"/{month:02d}/2025"
    if draw(st.booleans()):
        header = ["child_ref", "measure", "period_start", "period_end", "group", "value"]
        rows = [
            [
                f"FZ-{draw(st.integers(10**6, 10**7))}-{n}",
                "re_referrals_12m",
                start,
                end,
                "intervention",
                draw(st.sampled_from("01")),
            ]
            for n in range(draw(st.integers(1, 8)))
        ]
    else:
        header = ["measure", "period_start", "period_end", "group", "value", "numerator", "denominator"]
        rows = []
        for group in draw(st.lists(st.sampled_from(["intervention", "comparison"]), min_size=1, max_size=2, unique=True)):
            denominator = draw(st.integers(1, 10**6))
            numerator = draw(st.integers(0, denominator))
            rows.append(
                ["re_referrals_12m", start, end, group, f"{100 * numerator / denominator:.1f}", str(numerator), str(denominator)]
            )
    return header, rows


def _mutated(draw, rows: list[list[str]]) -> list[list[str]]:
    for _ in range(draw(st.integers(0, 2))):
        row = draw(st.sampled_from(rows))
        row[draw(st.integers(0, len(row) - 1))] = draw(CELLS)
    return rows


@st.composite
def upload_files(draw) -> tuple[str, bytes, list[str]]:
    """(filename, bytes, the secrets planted in it: child references and NHS numbers)."""
    if draw(st.booleans()):  # near a good file: most reach the checks on values, many are accepted
        header, rows = draw(good_rows())
        rows = _mutated(draw, rows)
        secrets = [row[0] for row in rows if header[0] == "child_ref" and row[0].startswith("FZ-")]
        return _encoded(draw, header, rows, secrets)
    header = draw(st.lists(HEADERS, min_size=0, max_size=12))
    if draw(st.booleans()):
        header = draw(st.permutations(COLUMNS[: draw(st.integers(1, len(COLUMNS)))])) + header[:2]
    width = max(len(header), 1)
    # A child's reference is a secret in the child_ref column (other columns' cells are shown in
    # problems, as they should be: "FZ-1" is an unknown measure code there).
    refs_at = [i for i, name in enumerate(header) if normalised_header(name) == "child_ref"]
    secrets: list[str] = []
    rows = []
    for n in range(draw(st.integers(0, 12))):
        row = draw(st.lists(CELLS, min_size=width, max_size=width + 2))
        if refs_at and draw(st.booleans()):
            secret = f"FZ-{draw(st.integers(10**6, 10**7))}-{n}"
            secrets.append(secret)
            row[refs_at[-1]] = secret
        if row and draw(st.integers(0, 4)) == 0:
            nhs = draw(st.sampled_from(NHS_NUMBERS))
            row[draw(st.integers(0, len(row) - 1))] = nhs
            secrets.append(nhs)
        rows.append(row)
    return _encoded(draw, header, rows, secrets)


def _encoded(draw, header: list[str], rows: list[list[str]], secrets: list[str]) -> tuple[str, bytes, list[str]]:
    if draw(st.booleans()):
        book = openpyxl.Workbook()
        for sheet_number in range(draw(st.integers(1, 3))):
            sheet = book.active if sheet_number == 0 else book.create_sheet(f"S{sheet_number}")
            for row in [header, *rows]:
                sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell)[:200] for cell in row])  # what a workbook can hold
        buffer = io.BytesIO()
        book.save(buffer)
        return draw(st.sampled_from(["data.xlsx", "data.csv", "data"])), buffer.getvalue(), secrets
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    text = "\r\n".join(delimiter.join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]))
    content = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        content += draw(st.binary(max_size=40))
    return draw(st.sampled_from(["data.csv", "data.xlsx", "data.txt"])), content, secrets


def _stored_anywhere(secrets: list[str]) -> list[str]:
    tables = dump_tables()
    kept = b"".join(s.kept_bytes() for s in Submission.objects.all())
    return [s for s in secrets if s in tables or s.encode() in kept]


@SETTINGS
@given(upload=upload_files())
def test_every_fuzzed_file_ends_well_and_stores_no_raw_identifier(upload, lead, partner, evaluation):
    filename, content, secrets = upload
    with transaction.atomic():  # each example starts from the same stored data
        submission = services.submission_upload(
            partner=partner, actor=lead, evaluation=evaluation, filename=filename, content=content
        )
        assert submission.status in FINISHED_WELL, (submission.status, submission.errors)
        event(submission.status)
        if submission.status == "rejected":
            assert submission.errors and all(problem["reason"] for problem in submission.errors)
        assert _stored_anywhere(secrets) == [], (filename, content[:2000], submission.errors[:5])
        transaction.set_rollback(True)


@settings(SETTINGS, max_examples=15)
@given(upload=upload_files())
def test_every_fuzzed_file_uploads_through_the_page_without_a_server_error(upload, client, lead, partner, evaluation):
    filename, content, _secrets = upload
    client.force_login(lead)
    response = client.post(
        reverse("reports:evaluation", args=[partner.slug, evaluation.code]),
        {"file": SimpleUploadedFile(filename, content)},
    )
    assert response.status_code in (200, 302)
