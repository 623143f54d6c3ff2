"""A lead's invitation through the members page, as the tests of joining a partner send it."""

import re

from django.core import mail
from django.urls import reverse


def invite(client, partner, capture, *, email: str, role: str):
    """The signed-in lead invites ``email`` (the email sent at commit); returns the page's response
    and the emailed link's path, with the client signed out to follow it."""
    with capture(execute=True):
        response = client.post(reverse("partner_members", args=[partner.slug]), {"email": email, "role": role})
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[-1].body).group(1)
    client.logout()
    return response, link
