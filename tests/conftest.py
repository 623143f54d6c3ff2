import os
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from pine.tenancy import partner_scope, practice_scope
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.fixture(autouse=True)
def _practice_scope_for_setup(request):
    """Tests set up their data as the practice team would see it (every partner's rows). A test of
    one partner's services then runs in that partner's scope (``pytest_runtest_call`` below); views
    and tasks set their own scope, and tenancy tests switch it off."""
    uses_db = request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames)
    if not uses_db:
        yield
        return
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        transactional = True
    request.getfixturevalue("transactional_db" if transactional else "db")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pine.practice', 'on', %s)", [not transactional])
    if transactional:
        factories.ensure_measure_library()  # an earlier transactional test flushed it
    yield
    if transactional:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pine.practice', '', false)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test's database is flushed when it ends, the migrations' measure library with
    it: put the library back at once (committed), so that the tests after it find it too."""
    result = yield
    marker = item.get_closest_marker("django_db")
    if nextitem is None:  # the session's last test: its test database is gone already
        return result
    if (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(
        getattr(item, "fixturenames", ())
    ):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            if not connection.in_atomic_block:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('pine.practice', 'on', false)")
                try:
                    factories.ensure_measure_library()
                finally:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT set_config('pine.practice', '', false)")
    return result


@pytest.fixture(autouse=True)
def _no_attempts_counted():
    """Each test starts with no attempts counted by pine.ratelimit: every test client comes from
    127.0.0.1, so counts left by earlier tests would refuse later ones."""
    from django.core.cache import cache

    from pine.ratelimit import KEY_PREFIX

    client = cache._cache.get_client(write=True)  # the Redis client under Django's cache
    keys = list(client.scan_iter(match=f"*{KEY_PREFIX}:*"))
    if keys:
        client.delete(*keys)


# A test that uses any of these acts as the practice team: its body stays in the practice scope.
PRACTICE_FIXTURES = {"practice_admin", "practice_client", "accepted", "analyst", "reviewer", "reviewers"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test of a partner's services and pages runs in that partner's scope, as the services do in
    production: its setup (fixtures, factories) is the practice team's, its body sees only the
    partner's rows. Tests that act as the practice team, and tests without a partner, keep the
    practice scope."""
    partner = item.funcargs.get("partner") if hasattr(item, "funcargs") else None
    if partner is None or PRACTICE_FIXTURES & set(item.fixturenames) or not connection.in_atomic_block:
        return (yield)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pine.partner_id', %s, true), set_config('pine.practice', '', true)", [str(partner.pk)])
    factories.in_partner_scope = True
    try:
        return (yield)
    finally:
        factories.in_partner_scope = False
        if connection.in_atomic_block and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('pine.partner_id', '', true), set_config('pine.practice', 'on', true)")


@contextmanager
def in_scope_of(partner=None):
    """Inside a test of one partner: work as another partner would (its services, in its own
    scope), or, with no partner, look across partners as the practice team does."""
    scope = practice_scope() if partner is None else partner_scope(partner.pk)
    with transaction.atomic(), scope:
        yield


@pytest.fixture
def partner():
    return factories.PartnerFactory(name="Northshire County Council", slug="northshire")


@pytest.fixture
def other_partner():
    return factories.PartnerFactory(name="Southbrook City Council", slug="southbrook")


@pytest.fixture
def lead(partner):
    return factories.MembershipFactory(partner=partner, role="lead", user__email="lead@northshire.example").user


@pytest.fixture
def contributor(partner):
    return factories.MembershipFactory(partner=partner, role="contributor", user__email="contrib@northshire.example").user


@pytest.fixture
def viewer(partner):
    return factories.MembershipFactory(partner=partner, role="viewer", user__email="viewer@northshire.example").user


@pytest.fixture
def other_lead(other_partner):
    return factories.MembershipFactory(partner=other_partner, role="lead", user__email="lead@southbrook.example").user


@pytest.fixture
def practice_admin():
    return factories.PracticeUserFactory(email="admin@pine.example")


@pytest.fixture
def evaluation(partner):
    return factories.EvaluationFactory(application__partner=partner)


@pytest.fixture
def other_evaluation(other_partner):
    return factories.EvaluationFactory(application__partner=other_partner)


@pytest.fixture
def accepted(partner, practice_admin):
    """An evaluation made the way the app makes them: by accepting an application (screened, the
    decision recorded, then released), so it starts with a blank onboarding record and the
    standard milestones."""
    from cohorts.services import applications as cohort_services
    from cohorts.services import decisions

    application = factories.ApplicationFactory(partner=partner, practice_title="Family group conferences")
    cohort_services.application_screen(actor=practice_admin, application=application, decision="eligible", reason="Eligible.")
    decisions.decision_record(actor=practice_admin, application=application, decision="accept", confirm_without_reviews=True)
    decisions.decisions_release(actor=practice_admin, cohort=application.cohort)
    return application.evaluation


def token_client(user):
    """A test client that sends a new API token of this user."""
    from django.test import Client

    from pine import services

    _, key = services.api_token_create(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def verified_client(client, user):
    """A test client signed in as a practice-team user whose session passed the second factor."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def practice_client(client, practice_admin):
    return verified_client(client, practice_admin)


def pytest_sessionfinish(session, exitstatus):
    """Remove this session's directory of uploaded files (tests/settings.py made it)."""
    import shutil

    from django.conf import settings

    location = settings.STORAGES.get("uploads", {}).get("OPTIONS", {}).get("location", "")
    if "pine-test-uploads-" in str(location):
        shutil.rmtree(location, ignore_errors=True)
