"""Where a request comes from: the one reading of the client's address, for the brute-force
lockout (axes, through ``AXES_CLIENT_IP_CALLABLE``), the rate limits (``pine.ratelimit``) and
anything else that needs it.

Served directly, the client is the peer of the connection (``REMOTE_ADDR``), and an
``X-Forwarded-For`` header is ignored: anyone can send one. Behind reverse proxies
(``BEHIND_PROXY``), every request comes from the nearest proxy, so the client is read from
``X-Forwarded-For``: each proxy appends the address it was reached from, so with
``TRUSTED_PROXY_COUNT`` proxies in front the client is that many entries from the right. Entries
further left were sent by the client and are never trusted. A header with too few entries, or an
entry that is not an address, means the request did not come through the proxies: the peer's
address is used.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The address of the client that made ``request`` (Django's or REST framework's)."""
    meta = getattr(request, "META", {})
    peer = meta.get("REMOTE_ADDR", "") or ""
    if not settings.BEHIND_PROXY:
        return peer
    hops = [entry.strip() for entry in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    count = settings.TRUSTED_PROXY_COUNT
    if len(hops) < count:
        return peer
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
