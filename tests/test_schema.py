"""The API against its own OpenAPI schema: schemathesis generates requests for every operation of
``/api/schema/`` and sends them in-process (WSGI) with API tokens: a partner's lead for partners'
operations, a practice admin for the practice team's (``/api/v1/practice/``).

There is data for two partners. Half the time, path parameters are real rather than generated:
mostly the lead's own partner and rows, and sometimes the other partner's (which must be "not
found", never a server error). Requests run through the whole Django stack: the views set the
tenant scope as in production (the test's own setup scope is cleared first). Each test runs in a
transaction that is rolled back (no commit: a requested report is queued, never built; report
builds are tested in tests/reports).

* ``test_api_has_no_server_errors``: no 5xx, whatever is sent (valid and invalid data, and the
  coverage phase's boundary cases).
* ``test_api_responses_match_the_schema``: for valid requests, each documented response's
  content type and body are as the schema says.
* ``test_api_documents_its_status_codes``: ... and its status code is one the schema lists.

The schema is made once, when the module is collected (one pytest item per operation), by the
generator ``/api/schema/`` uses (``test_the_served_schema_is_the_one_tested``). ``from_fixture``
is not used: schemathesis 4.32's lazy loader sets ``request.node._nodeid``, which pytest 9.2's nodes no
longer have.
"""

import functools
import json
import uuid

import pytest
import schemathesis
from django.core import signals
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connection
from drf_spectacular.views import SpectacularAPIView
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cohorts.models import Application
from outcomes.models import Submission
from pine import services
from pine.wsgi import application
from reports.models import Report
from tests import factories

pytestmark = pytest.mark.schema

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the project
    suppress_health_check=list(HealthCheck),
)

# Fixed slugs and codes, so that the generators (made at collection) can use the rows (made per test).
OWN, OTHER = "northshire", "southbrook"
OPEN_COHORT = "pine-round-6"
KINDS = ("evaluations", "applications", "submissions", "reports", "events")


def _code(side: str, kind: str, number: int = 0) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://pine.test/{side}/{kind}/{number}"))


def _code_kind(path: str) -> str | None:
    """The kind of row a path's ``{code}`` names: the segment before it ("evaluations", ...)."""
    if "{code}" not in path:
        return None
    kind = path.split("/{code}")[0].rsplit("/", 1)[-1]
    return kind if kind in KINDS else None


def _real_path_parameters(path: str) -> list[dict]:
    """Real slugs and codes for a path: mostly the lead's own partner and rows; also the other
    partner's rows under the lead's slug, and the other partner's slug (both must be 404s)."""
    kind = _code_kind(path)
    if "{partner_slug}" in path and kind:
        pairs = [(OWN, _code(OWN, kind, n)) for n in (0, 1, 2)] * 2 + [(OWN, _code(OTHER, kind)), (OTHER, _code(OTHER, kind))]
        return [{"partner_slug": slug, "code": code} for slug, code in pairs]
    if "{partner_slug}" in path:
        return [{"partner_slug": OWN}] * 3 + [{"partner_slug": OTHER}]
    if kind:
        return [{"code": _code(side, kind, n)} for side in (OWN, OTHER) for n in (0, 1, 2)]
    return []


def _with_real_path_parameters(context, path_parameters):
    """Half the time, real slugs, codes and report kinds instead of the generated ones."""
    real = _real_path_parameters(context.operation.path)
    if not path_parameters or not real:
        return st.just(path_parameters)
    kinds = st.sampled_from(["html", "pdf"]) if "kind" in path_parameters else st.just(None)
    replaced = st.tuples(st.sampled_from(real), kinds).map(
        lambda drawn: {**path_parameters, **drawn[0], **({"kind": drawn[1]} if drawn[1] else {})}
    )
    return st.one_of(replaced, st.just(path_parameters))


def _with_real_cohort(context, body):
    """An application names a cohort: half the time, the open one."""
    if context.operation.method.upper() == "POST" and "cohort" in (body if isinstance(body, dict) else {}):
        return st.one_of(st.just({**body, "cohort": OPEN_COHORT}), st.just(body))
    return st.just(body)


@functools.cache
def _openapi_document() -> dict:
    """What ``/api/schema/`` serves (``test_the_served_schema_is_the_one_tested`` checks it), made
    without a request: at collection there is no database, and every request opens a transaction."""
    generator = SpectacularAPIView.generator_class(urlconf=None, api_version=None, patterns=None)
    return json.loads(json.dumps(generator.get_schema(request=None, public=True), cls=DjangoJSONEncoder))


def _load(*, valid_only: bool):
    loaded = schemathesis.openapi.from_dict(_openapi_document())
    loaded.app = application  # requests go to our WSGI application, in this process
    if valid_only:
        loaded.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
        # The coverage phase's boundary cases (about 25 requests an operation) run once, in
        # test_api_has_no_server_errors; the conformance tests check the generated examples.
        loaded.config.phases.coverage.enabled = False
    loaded.hook("flatmap_path_parameters")(_with_real_path_parameters)
    loaded.hook("flatmap_body")(_with_real_cohort)
    return loaded


schema = _load(valid_only=False)
schema_valid = _load(valid_only=True)


def _partner_rows(side: str, partner, lead, cohort) -> None:
    """Rows of every kind the API reads, for one partner (three of each kind: codes 0, 1 and 2)."""
    evaluation = factories.EvaluationFactory(
        code=_code(side, "evaluations"),
        application__partner=partner,
        application__cohort=cohort,
        application__code=_code(side, "applications"),
        application__created_by=lead,
    )
    for number in (1, 2):  # another evaluation, with nothing in it
        factories.EvaluationFactory(code=_code(side, "evaluations", number), application__partner=partner)
    factories.ApplicationFactory(  # a draft (to submit) and a submitted application (to decide)
        code=_code(side, "applications", 1),
        partner=partner,
        created_by=lead,
        status=Application.Status.DRAFT,
        submitted_at=None,
    )
    factories.ApplicationFactory(code=_code(side, "applications", 2), partner=partner, created_by=lead)
    problems = [{"row": 2, "column": "measure", "value": "nope", "reason": "Unknown measure code."}]
    for number in (0, 1, 2):
        factories.SubmissionFactory(
            code=_code(side, "submissions", number),
            evaluation=evaluation,
            uploaded_by=lead,
            status=Submission.Status.REJECTED,
            row_count=0,
            errors=problems,
        )
    factories.ReportFactory(
        code=_code(side, "reports"),
        evaluation=evaluation,
        status=Report.Status.DONE,
        progress=100,
        stage="Ready",
        html=b"<!DOCTYPE html><title>Report</title>",
        pdf=b"%PDF-1.7\n%%EOF\n",
    )
    factories.ReportFactory(code=_code(side, "reports", 1), evaluation=evaluation, status=Report.Status.FAILED, error="No.")
    factories.ReportFactory(code=_code(side, "reports", 2), evaluation=evaluation)  # queued


@pytest.fixture
def _requests_keep_the_connection():
    """Requests go to the WSGI application itself, whose request signals would close the database
    connection (and the test's transaction with it) after each one. Django's test client stops them
    too, and starts them again after each request it makes: so this is per test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_keys(db, _requests_keep_the_connection):
    """Two partners' data, in the test's transaction (rolled back after it: nothing to flush); API
    token keys of the first partner's lead and of a practice admin. Requests start with no scope,
    as in production, and set their own (the setup's scope is cleared). They do not commit, so a
    report they request is never built here: report builds are tested in tests/reports."""
    partner = factories.PartnerFactory(name="Northshire County Council", slug=OWN)
    other_partner = factories.PartnerFactory(name="Southbrook City Council", slug=OTHER)
    lead = factories.MembershipFactory(partner=partner, role="lead").user
    other_lead = factories.MembershipFactory(partner=other_partner, role="lead").user
    cohort = factories.CohortFactory(slug=OPEN_COHORT)
    factories.EventFactory(cohort=cohort, code=_code(OWN, "events"))
    _partner_rows(OWN, partner, lead, cohort)
    _partner_rows(OTHER, other_partner, other_lead, cohort)
    keys = {
        "lead": services.api_token_create(user=lead, name="schemathesis")[1],
        "practice": services.api_token_create(user=factories.PracticeUserFactory(), name="schemathesis")[1],
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pine.practice', '', true)")
    return keys


def _call(case, api_keys):
    """Partners' operations as the lead; the practice team's (``/api/v1/practice/``) as its admin."""
    who = "practice" if case.operation.path.startswith("/api/v1/practice/") else "lead"
    return case.call(headers={"Authorization": f"Token {api_keys[who]}"})


@pytest.mark.django_db
def test_the_served_schema_is_the_one_tested(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert json.loads(response.content) == _openapi_document()


@schema.parametrize()
@SETTINGS
def test_api_has_no_server_errors(case, api_keys):
    response = _call(case, api_keys)
    case.validate_response(response, checks=[not_a_server_error])


@schema_valid.parametrize()
@SETTINGS
def test_api_responses_match_the_schema(case, api_keys):
    """Bodies and content types of the documented responses (an undocumented status is skipped
    here: ``test_api_documents_its_status_codes`` reports it)."""
    response = _call(case, api_keys)
    case.validate_response(response, checks=[not_a_server_error, content_type_conformance, response_schema_conformance])


@schema_valid.parametrize()
@SETTINGS
def test_api_documents_its_status_codes(case, api_keys):
    response = _call(case, api_keys)
    case.validate_response(response, checks=[status_code_conformance])


LISTS = [
    path
    for path, operations in _openapi_document()["paths"].items()
    if any(parameter["name"] == "limit" for parameter in operations.get("get", {}).get("parameters", []))
]


def test_a_huge_page_size_is_not_a_server_error(client, api_keys):
    """``?limit=`` beyond PostgreSQL's bigint, on every list (schemathesis found it on one)."""
    client.raise_request_exception = False
    failures = []
    for path in LISTS:
        kind = _code_kind(path)
        url = (
            path.replace("{partner_slug}", OWN).replace("{slug}", OPEN_COHORT).replace("{code}", _code(OWN, kind) if kind else "")
        )
        who = "practice" if path.startswith("/api/v1/practice/") else "lead"
        response = client.get(url, {"limit": str(10**20)}, HTTP_AUTHORIZATION=f"Token {api_keys[who]}")
        if response.status_code != 200:
            failures.append(f"{url}?limit={10**20}: {response.status_code}")
    assert not failures, "Server errors:\n" + "\n".join(failures)
