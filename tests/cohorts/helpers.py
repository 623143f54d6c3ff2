"""Shared helpers of the cohorts tests."""

import re

from django.test import Client

from tests.conftest import token_client, verified_client

api_client = token_client


def practice_page_client(user) -> Client:
    return verified_client(Client(), user)


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
