"""The API against its own OpenAPI schema: schemathesis generates requests for every operation of
``/api/schema/`` and sends them in-process (WSGI) as a partner's lead with an API token.

There is data for two partners. Path parameters are drawn from the schema (mostly unknown slugs and
codes) and, as often, from real ones: the lead's own partner and rows, and the other partner's
(which must be "not found", never a server error). Requests run through the whole Django stack:
the views set the tenant scope as in production (the test's own session scope is cleared first),
and each request commits (Celery is eager: a queued report is built in the request).

* ``test_api_has_no_server_errors``: no 5xx, whatever is sent (valid and invalid data).
* ``test_api_responses_match_the_schema``: for valid requests, each response's status code,
  content type and body are as the schema documents them.

The schema is made when the module is collected (one pytest item per operation), by the generator
``/api/schema/`` uses. ``schemathesis.pytest.from_fixture`` is not used: schemathesis 4.32's lazy
loader sets ``request.node._nodeid``, which pytest 9.2's nodes no longer have.
"""

import json
import uuid

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
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
from evaluations.models import Report
from outcomes.models import Submission
from pine import services
from pine.wsgi import application
from tests import factories

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the project
    suppress_health_check=list(HealthCheck),
)

# Fixed slugs and codes, so that the generators (made at collection) can use the rows (made per test).
PARTNERS = {"own": "northshire", "other": "southbrook"}
KINDS = ("evaluations", "applications", "submissions", "reports")


def _code(side: str, kind: str, number: int = 0) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://pine.test/{side}/{kind}/{number}")


def _codes_for(path: str) -> list[str]:
    """Real codes (both partners') of the kind the path's ``{code}`` names: its segment before it."""
    kind = path.split("/{code}")[0].rsplit("/", 1)[-1]  # "evaluations", "reports", "tokens", ...
    if kind not in KINDS:
        return []
    return [str(_code(side, kind, n)) for side in PARTNERS for n in (0, 1)]


def _with_real_path_parameters(context, path_parameters):
    """As often as not, replace the generated slug, code and kind with real ones."""
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    known = {}
    if "partner_slug" in path_parameters:
        known["partner_slug"] = st.sampled_from(list(PARTNERS.values()))
    if "code" in path_parameters and _codes_for(path):
        known["code"] = st.sampled_from(_codes_for(path))
    if "kind" in path_parameters:
        known["kind"] = st.sampled_from(["html", "pdf"])
    if not known:
        return st.just(path_parameters)
    real = st.fixed_dictionaries(known).map(lambda values: {**path_parameters, **values})
    return st.one_of(st.just(path_parameters), real)


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
    loaded.hook("flatmap_path_parameters")(_with_real_path_parameters)
    return loaded


schema = _load(valid_only=False)
schema_valid = _load(valid_only=True)


def _partner_rows(side: str, partner, lead, cohort) -> None:
    """One of everything the API reads, for one partner."""
    evaluation = factories.EvaluationFactory(
        code=_code(side, "evaluations"), application__partner=partner, application__cohort=cohort,
        application__code=_code(side, "applications"), application__created_by=lead,
    )
    factories.ApplicationFactory(
        code=_code(side, "applications", 1), partner=partner, cohort=factories.CohortFactory(), created_by=lead,
        status=Application.Status.DRAFT, submitted_at=None,
    )
    factories.SubmissionFactory(
        code=_code(side, "submissions"), evaluation=evaluation, uploaded_by=lead, status=Submission.Status.REJECTED,
        row_count=0, errors=[{"row": 2, "column": "measure", "value": "nope", "reason": "Unknown measure code."}],
    )
    factories.ReportFactory(
        code=_code(side, "reports"), evaluation=evaluation, status=Report.Status.DONE, progress=100, stage="Ready",
        html=b"<!DOCTYPE html><title>Report</title>", pdf=b"%PDF-1.7\n%%EOF\n",
    )
    factories.ReportFactory(
        code=_code(side, "reports", 1), evaluation=evaluation, status=Report.Status.FAILED, error="It failed.",
    )


@pytest.fixture
def api_key(transactional_db, partner, other_partner, lead, other_lead):
    """Two partners' data; the key of an API token of the first partner's lead."""
    assert (partner.slug, other_partner.slug) == (PARTNERS["own"], PARTNERS["other"])
    cohort = factories.CohortFactory()
    _partner_rows("own", partner, lead, cohort)
    _partner_rows("other", other_partner, other_lead, cohort)
    _, key = services.api_token_create(user=lead, name="schemathesis")
    # The rows were made in the practice scope (tests/conftest.py). Requests start with none, as in
    # production, and set their own.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pine.practice', '', false)")
    return key


@pytest.mark.django_db
def test_the_served_schema_is_the_one_tested(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert json.loads(response.content) == _openapi_document()


@schema.parametrize()
@SETTINGS
def test_api_has_no_server_errors(case, api_key):
    response = case.call(headers={"Authorization": f"Token {api_key}"})
    case.validate_response(response, checks=[not_a_server_error])


@schema_valid.parametrize()
@SETTINGS
def test_api_responses_match_the_schema(case, api_key):
    response = case.call(headers={"Authorization": f"Token {api_key}"})
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
