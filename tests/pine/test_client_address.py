"""The client's address (pine.network.client_ip), for the lockout on signing in and the rate limits:
the connection's peer when PINE is served directly (a spoofed X-Forwarded-For does nothing), the
address the trusted proxies saw when it is behind them (BEHIND_PROXY, TRUSTED_PROXY_COUNT)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from pine import network, ratelimit
from tests import factories

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def _fail_to_sign_in(client, user, settings, **headers) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.email, "password": "wrong"}, **headers)


def _signs_in(client, user, **headers) -> bool:
    response = client.post(reverse("login"), {"username": user.email, "password": factories.PASSWORD}, **headers)
    return response.status_code == 302


@pytest.fixture
def behind_a_proxy(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


def test_behind_a_proxy_one_client_cannot_lock_out_another(client, lead, behind_a_proxy):
    """All traffic comes from the proxy: keyed on its address, the attacker's failures would lock
    the account for everyone. Keyed on the client the proxy saw, they lock only the attacker."""
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    # The attacker also sends the victim's address as X-Forwarded-For; the proxy appends theirs.
    spoofing = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.7, 203.0.113.9"}
    _fail_to_sign_in(client, lead, behind_a_proxy, **attacker)
    _fail_to_sign_in(client, lead, behind_a_proxy, **spoofing)
    assert client.post(reverse("login"), {"username": lead.email, "password": "x"}, **attacker).status_code == 429
    assert _signs_in(client.__class__(), lead, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")


def test_served_directly_a_spoofed_forwarded_for_does_nothing(client, lead, settings):
    """Without BEHIND_PROXY the header is ignored: varying it neither spreads an attacker's failures
    over many addresses nor lets them pass for someone else."""
    assert settings.BEHIND_PROXY is False
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": lead.email, "password": "wrong"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )
    assert not _signs_in(client, lead, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert _signs_in(client.__class__(), lead, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.9")


@pytest.mark.parametrize(
    ("behind", "count", "forwarded", "expected"),
    [
        (False, 1, "198.51.100.7", "10.0.0.2"),  # served directly: the header is ignored
        (True, 1, "198.51.100.7", "198.51.100.7"),
        (True, 1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own entries are not trusted
        (True, 2, "6.6.6.6, 198.51.100.7, 10.0.0.1", "198.51.100.7"),  # two proxies: two from the right
        (True, 1, " 2001:db8::1 ", "2001:db8::1"),
        (True, 2, "198.51.100.7", "10.0.0.2"),  # too few entries: not through the proxies
        (True, 1, "", "10.0.0.2"),
        (True, 1, "not-an-address", "10.0.0.2"),
    ],
)
def test_the_client_address_is_read_as_the_settings_say(settings, behind, count, forwarded, expected):
    settings.BEHIND_PROXY, settings.TRUSTED_PROXY_COUNT = behind, count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert network.client_ip(request) == expected
    assert ratelimit.client_ip(request) == expected  # the rate limits read it the same way


def test_the_event_registration_limit_counts_each_client_behind_the_proxy(
    client, behind_a_proxy, django_capture_on_commit_callbacks
):
    """Twenty registrations an hour from one client address: behind the proxy, one client's
    registrations do not use up another's."""
    from cohorts.models import EventRegistration
    from cohorts.services.events import REGISTRATION_LIMITS

    per_client = REGISTRATION_LIMITS[1].count

    event = factories.EventFactory(capacity=500)
    url = reverse("cohorts:public_event", args=[event.cohort.slug, event.code])

    def register(number: int, forwarded: str):
        data = {"name": "A Person", "email": f"person{number}@example.org", "organisation": "Somewhere"}
        return client.post(url, data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    with django_capture_on_commit_callbacks(execute=True):
        for number in range(per_client):
            register(number, "203.0.113.9")
        refused = register(100, "203.0.113.9")
        accepted = register(101, "198.51.100.7")
    assert refused.status_code == 200 and "too many registrations" in refused.content.decode().lower()
    assert accepted.status_code == 302
    assert EventRegistration.objects.filter(event=event).count() == per_client + 1
