"""Both walls of tenant isolation, checked by reading the database catalogue, the models and the
URLconf, and by asking the database directly with the application's filter removed."""

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers

from cohorts.models import Application, ApplicationRevision
from evaluations.models import Evaluation
from outcomes.models import OutcomeValue, Submission
from pine import selectors
from pine.api import PartnerAPIView, PracticeAPIView, UserAPIView
from pine.models import AuditEvent, Membership, Partner
from pine.scoping import PartnerView, PracticeView, PublicView, SignedInView
from pine.tenancy import ScopeError, current_scope, partner_scope, practice_scope, user_scope
from reports.models import Report
from tests import factories

pytestmark = pytest.mark.django_db

# Models that hold tenant data but no partner of their own, each with the reason.
PARTNERLESS_ALLOW_LIST = {
    # The tenant itself.
    "pine.Partner",
    # People: a user may belong to several partners; their memberships carry the partner.
    "pine.User",
    # A user's own API tokens: personal, not a partner's.
    "pine.ApiToken",
    # The practice team's rounds; their calls are public.
    "cohorts.Cohort",
    # A cohort's rubric (criteria and scale): the practice team's, published to reviewers.
    "cohorts.Criterion",
    "cohorts.ScaleLevel",
    # Reviews: the practice team's data about an application, behind a practice-only policy
    # (a partner's transaction reads none of them), so they must not carry a partner.
    "cohorts.ReviewAssignment",
    "cohorts.Review",
    "cohorts.Score",
    # Events for applicants, their registrations (members of the public) and the call's documents.
    "cohorts.Event",
    "cohorts.EventRegistration",
    "cohorts.CohortDocument",
    # Copies of report versions a practice admin approved for the public "Published evaluations"
    # page: public by approval, read by anonymous requests that have no tenant scope. The partner's
    # own Report rows (behind RLS) are never read for the public page.
    "reports.PublishedReport",
}

# Views that are deliberately outside the scoped bases, with the reason.
PUBLIC_VIEW_ALLOW_LIST = {
    # drf-spectacular's schema and Swagger UI: documentation of the API, no data.
    "SpectacularAPIView",
    "SpectacularSwaggerView",
    # The public list of published evaluations: reads only reports.PublishedReport (partner-less,
    # public by approval), never a tenant table.
    "PublishedReportListView",
}

# Our apps: every installed app whose code lives in this project (found, not listed).
OUR_APPS = {
    config.label
    for config in apps.get_app_configs()
    if Path(config.path).is_relative_to(settings.BASE_DIR) and "site-packages" not in Path(config.path).parts
}


def tenant_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attname = 'partner_id' AND NOT a.attisdropped AND c.relkind = 'r' AND n.nspname = 'public'
            ORDER BY 1
            """
        )
        return [row[0] for row in cursor.fetchall()]


def test_every_table_with_a_partner_id_has_row_level_security_enabled_forced_and_a_policy():
    tables = tenant_tables()
    assert {"cohorts_application", "evaluations_report", "outcomes_outcomevalue", "pine_membership"} <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c WHERE c.relname = ANY(%s)
            """,
            [tables],
        )
        state = {name: (enabled, forced, policies) for name, enabled, forced, policies in cursor.fetchall()}
    unprotected = {t: s for t, s in state.items() if not (s[0] and s[1] and s[2] > 0)}
    assert not unprotected, f"tables without enabled + forced RLS and a policy: {unprotected}"


def test_the_runtime_role_is_neither_superuser_nor_bypassrls():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_every_tenant_model_has_its_own_partner_foreign_key_or_an_allow_list_entry():
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        label = model._meta.label
        field = next((f for f in model._meta.concrete_fields if f.name == "partner"), None)
        if field is None:
            if label not in PARTNERLESS_ALLOW_LIST:
                missing.append(label)
            continue
        assert field.related_model is Partner, label
        leading = [i.fields[0] for i in model._meta.indexes] + [
            c.fields[0] for c in model._meta.constraints if getattr(c, "fields", None)
        ]
        assert field.db_index or "partner" in leading, f"{label}.partner is not indexed"
        # The practice team's own records have no partner; a notification may be about none; a
        # measure with no partner is a library measure (everyone's), with one a partner's local measure;
        # a message about an open call from a visitor without an account has none (practice-only).
        if label not in ("pine.AuditEvent", "pine.Notification", "measures.Measure", "cohorts.CallEnquiry"):
            assert not field.null, f"{label}.partner may be null"
    assert not missing, f"models without a partner FK or an allow-list entry: {missing}"


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def test_every_view_derives_from_a_scoped_base_or_is_on_the_public_allow_list():
    bases = (PublicView, SignedInView, PartnerView, PracticeView, UserAPIView, PartnerAPIView, PracticeAPIView)
    stray = []
    for route, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view_class is None:
            stray.append((route, callback))
            continue
        if view_class.__name__ in PUBLIC_VIEW_ALLOW_LIST:
            continue
        if not issubclass(view_class, bases):
            stray.append((route, view_class))
        if route.startswith(("p/", "api/v1/partners/")) and not issubclass(view_class, (PartnerView, PartnerAPIView)):
            stray.append((route, view_class, "partner URL without the partner base"))
        if route.startswith(("practice/", "api/v1/practice/")) and not issubclass(view_class, (PracticeView, PracticeAPIView)):
            stray.append((route, view_class, "practice URL without the practice base"))
    assert not stray, stray


def test_scoped_bases_refuse_subclasses_that_override_the_scope():
    with pytest.raises(TypeError):
        type("Bad", (PartnerView,), {"dispatch": lambda self, request: None})
    with pytest.raises(TypeError):
        type("BadApi", (PartnerAPIView,), {"get_queryset": lambda self: None})


def _seed_two_partners():
    a = factories.OutcomeValueFactory()
    b = factories.OutcomeValueFactory()
    factories.ApplicationRevisionFactory(application=a.evaluation.application)
    factories.ApplicationRevisionFactory(application=b.evaluation.application)
    factories.ReportFactory(evaluation=a.evaluation)
    factories.ReportFactory(evaluation=b.evaluation)
    factories.MembershipFactory(partner=a.partner)
    factories.MembershipFactory(partner=b.partner)
    return a.partner, b.partner


TENANT_MODELS = [Application, ApplicationRevision, Evaluation, Report, Submission, OutcomeValue, Membership]


def test_with_the_application_filter_removed_the_database_returns_only_the_scoped_partners_rows():
    a, b = _seed_two_partners()
    with practice_scope():
        assert all(model.objects.filter(partner=b).exists() for model in TENANT_MODELS)
    with partner_scope(a.pk):
        for model in TENANT_MODELS:
            partners = set(model.objects.values_list("partner_id", flat=True))  # no filter at all
            assert partners == {a.pk}, model
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM outcomes_outcomevalue WHERE partner_id = %s", [b.pk])
            assert cursor.fetchone()[0] == 0


def test_the_walls_hold_in_a_parallel_query():
    """The policies' function is parallel safe (else no query of a tenant table could use a second
    core), and PostgreSQL's parallel workers see the scope the query runs in."""
    a, b = _seed_two_partners()
    with connection.cursor() as cursor:
        cursor.execute("SELECT proparallel FROM pg_proc WHERE proname = 'pine_partner_visible'")
        assert cursor.fetchone() == ("s",)
        cursor.execute("SELECT current_setting('server_version_num')::int")
        force = "debug_parallel_query" if cursor.fetchone()[0] >= 160000 else "force_parallel_mode"
    with partner_scope(a.pk), connection.cursor() as cursor:
        for setting in (force, "parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
            cursor.execute(f"SET LOCAL {setting} = {'on' if setting == force else 0}")
        cursor.execute("EXPLAIN SELECT DISTINCT partner_id FROM outcomes_outcomevalue")
        assert "Gather" in "\n".join(row[0] for row in cursor.fetchall())  # run by a parallel worker
        cursor.execute("SELECT DISTINCT partner_id FROM outcomes_outcomevalue")
        assert cursor.fetchall() == [(a.pk,)]


def test_without_any_scope_the_database_returns_no_tenant_rows():
    _seed_two_partners()
    with user_scope(0):
        for model in TENANT_MODELS:
            assert not model.objects.exists(), model


def test_a_partner_scope_cannot_write_rows_of_another_partner():
    a, b = _seed_two_partners()
    evaluation_b = Evaluation.objects.filter(partner=b).first()
    with partner_scope(a.pk):
        with pytest.raises(Exception, match="row-level security"), transaction.atomic():
            Report.objects.create(partner=b, evaluation_id=evaluation_b.pk)


def test_a_user_sees_only_their_own_memberships_in_the_user_scope():
    mine = factories.MembershipFactory()
    factories.MembershipFactory()
    with user_scope(mine.user_id):
        assert list(Membership.objects.values_list("pk", flat=True)) == [mine.pk]


def test_the_membership_resolver_finds_the_users_own_membership_in_one_unordered_query():
    mine = factories.MembershipFactory()
    other = factories.MembershipFactory()  # another user's, at another partner
    factories.MembershipFactory(partner=other.partner)  # and another user's at that one
    with user_scope(mine.user_id):
        with CaptureQueriesContext(connection) as queries:
            found = selectors.membership_get(user=mine.user, partner_slug=mine.partner.slug)
        assert found == mine and found.partner == mine.partner
        assert len(queries) == 1 and "ORDER BY" not in queries[0]["sql"]  # every partner request makes it
        assert selectors.membership_get(user=mine.user, partner_slug=other.partner.slug) is None
        assert selectors.membership_get(user=mine.user, partner_slug="no-such-partner") is None


def test_a_scope_is_restored_when_it_ends_and_needs_a_transaction():
    with partner_scope(42):
        assert current_scope()["pine.partner_id"] == "42"
        with practice_scope():
            assert current_scope()["pine.practice"] == "on"
        assert current_scope()["pine.partner_id"] == "42"
        assert current_scope()["pine.practice"] == ""
    assert current_scope()["pine.practice"] == "on"  # the test's own setup scope


@pytest.mark.django_db(transaction=True)
def test_a_scope_outside_a_transaction_is_refused():
    with pytest.raises(ScopeError):
        with partner_scope(1):
            pass


def test_the_audit_trail_cannot_be_changed_or_deleted():
    partner = factories.PartnerFactory()
    event = AuditEvent.objects.create(partner=partner, action="test", object_type="x")
    # No policy allows UPDATE or DELETE, so the runtime role cannot even see a row to change...
    assert AuditEvent.objects.filter(pk=event.pk).update(action="changed") == 0
    assert AuditEvent.objects.filter(pk=event.pk)._raw_delete(connection.alias) == 0
    assert AuditEvent.objects.get(pk=event.pk).action == "test"
    # ...and a trigger refuses it for any role that bypasses row-level security.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'pine_audit_immutable' AND tgrelid = 'pine_auditevent'::regclass"
        )
        assert cursor.fetchone()[0] == 1


def _our_modules(named: str):
    """Every module called ``named`` (or inside a package called so) in our apps."""
    for label in sorted(OUR_APPS):
        package = importlib.import_module(apps.get_app_config(label).name)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if named in info.name.split(".")[1:]:
                yield importlib.import_module(info.name)


def test_serializers_never_accept_a_partner_field():
    modules = list(_our_modules("api"))
    assert {"pine.api", "cohorts.api.applications", "evaluations.api", "measures.api", "outcomes.api", "reports.api"} <= {
        m.__name__ for m in modules
    }
    for module in modules:
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, serializers.Serializer) and name.endswith("In"):
                assert "partner" not in obj().fields, f"{module.__name__}.{name} accepts a partner"


# Who may set a tenant scope (pine.tenancy): the access resolver, the job runner, and these, each
# with its reason. Anything else reaches tenant rows through a scoped base or a job.
SCOPE_SETTERS = {"partner_scope", "practice_scope", "user_scope"}
SCOPE_SETTER_ALLOW_LIST = {
    "pine/access.py": "the access resolver: the scope of every page and API request",
    "pine/jobs.py": "the job runner: a job row's partner, and periodic work across partners",
    "pine/services.py": "a new partner's first rows, written before anyone is its member",
    "pine/views.py": "an invitation link names its partner: read and accepted in that partner's scope",
    "pine/management/commands/api_token.py": "an operator's command: a user's own token",
    "pine/commands.py": "an operator's import names its partner: found, with the member to record, in the practice scope",
    "outcomes/management/commands/import_outcomes.py": "an operator's import: finds the partner, then works in its scope",
    "returns/management/commands/import_return.py": "an operator's import of a return: finds the partner, then its scope",
    "demo/data.py": "the demo data: every partner's rows (development and tests only)",
}


def test_scopes_are_set_only_by_the_bases_the_job_runner_and_the_allow_list():
    callers = {}
    for label in OUR_APPS:
        root = Path(apps.get_app_config(label).path)
        for path in root.rglob("*.py"):
            relative = path.relative_to(settings.BASE_DIR).as_posix()
            if "/migrations/" in relative or relative == "pine/tenancy.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), relative)):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name in SCOPE_SETTERS:
                        callers.setdefault(relative, set()).add(name)
    assert {"pine/access.py", "pine/jobs.py"} <= set(callers)
    stray = {path: names for path, names in callers.items() if path not in SCOPE_SETTER_ALLOW_LIST}
    assert not stray, f"tenant scopes set outside the bases, the job runner and the allow-list: {stray}"


def test_reviewers_reach_only_their_review_pages_and_the_practice_home():
    """Reviewers see only the applications they are assigned: a practice page or API open to them
    must be one of the review views (which scope every read by the reviewer's own assignments)."""
    open_to_reviewers = set()
    for _route, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view_class and issubclass(view_class, (PracticeView, PracticeAPIView)) and "reviewer" in view_class.practice_roles:
            open_to_reviewers.add((view_class.__module__, view_class.__name__))
    assert {module for module, _ in open_to_reviewers} <= {
        "cohorts.views.reviews",
        "cohorts.api.reviews",
        "reports.dashboards.views",
        "reports.queue_views",  # the work queue: a reviewer's holds only their own assignments
    }
    # The practice home (the programme dashboard) shows reviewers only the way to their reviews.
    assert {name for module, name in open_to_reviewers if module == "reports.dashboards.views"} == {"ProgrammeDashboardView"}
    assert {name for module, name in open_to_reviewers if module == "reports.queue_views"} <= {
        "PracticeQueueView",
        "PracticeQueueAPIView",
    }


@pytest.mark.django_db(transaction=True)
def test_a_requests_scope_ends_with_its_transaction_without_a_restoring_statement():
    """In the request's own transaction (ATOMIC_REQUESTS) the scope is set in one statement each and
    never restored: the transaction ends right after, and the settings with it. The next request on
    the same connection starts from no partner at all."""
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import token_client

    first, second = factories.EvaluationFactory(), factories.EvaluationFactory()
    leads = [factories.MembershipFactory(partner=e.partner, role="lead").user for e in (first, second)]
    clients = [token_client(lead) for lead in leads]
    with connection.cursor() as cursor:  # as in production: no session-wide scope under the request
        cursor.execute("SELECT set_config('pine.practice', '', false)")
    try:
        with CaptureQueriesContext(connection) as queries:
            response = clients[0].get(f"/api/v1/partners/{first.partner.slug}/evaluations/")
        assert response.status_code == 200 and [e["code"] for e in response.json()["results"]] == [str(first.code)]
        scope_statements = [q["sql"] for q in queries.captured_queries if "set_config" in q["sql"]]
        assert len(scope_statements) == 2  # the user's scope (its memberships), then the partner's
        assert "current_setting" not in " ".join(scope_statements)  # nothing read back to restore
        assert current_scope() == {"pine.partner_id": "", "pine.practice": "", "pine.user_id": ""}
        response = clients[1].get(f"/api/v1/partners/{first.partner.slug}/evaluations/")
        assert response.status_code == 404  # the same connection carried nothing over
        response = clients[1].get(f"/api/v1/partners/{second.partner.slug}/evaluations/")
        assert [e["code"] for e in response.json()["results"]] == [str(second.code)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pine.practice', 'on', false)")


def test_a_request_scope_inside_an_enclosing_transaction_restores_what_was_there():
    with transaction.atomic():
        with partner_scope(7, request=True):
            assert current_scope()["pine.partner_id"] == "7"
        assert current_scope()["pine.practice"] == "on" and current_scope()["pine.partner_id"] == ""
