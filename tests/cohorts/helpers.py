"""Shared helpers of the cohorts tests."""

import re

from django.test import Client

from pine import services as pine_services
from tests.conftest import verified_client


def api_client(user) -> Client:
    _, key = pine_services.api_token_create(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def practice_page_client(user) -> Client:
    return verified_client(Client(), user)


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
