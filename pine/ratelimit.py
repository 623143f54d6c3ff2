"""The one rate limiter: counts of attempts in a fixed window, kept in the cache (Redis).

A :class:`Limit` names what is counted and how many attempts a window allows; :func:`exceeded`
counts one attempt against each identity (an email address, a client address) and says whether
any of them has gone past its limit. Identities are stored hashed, never as typed. Anything that
sends an email to an address a stranger typed, or accepts a stranger's account, counts here first.

The client's address is ``pine.network.client_ip``, as for the lockout on signing in, so the proxy
settings (``BEHIND_PROXY``, ``TRUSTED_PROXY_COUNT``) apply here too.

Without Redis there are no counts, so no answer: :func:`exceeded` raises :class:`Unavailable`
(within ``REDIS_TIMEOUT``, never a hang) and each caller decides what its path does then. Every
path limited today refuses (fails closed) and says so in the words of :data:`UNAVAILABLE`: each is
reached by strangers and makes PINE email an address a stranger typed, its limit is its only
brake, and what it refuses can be done again in a few minutes.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from redis.exceptions import RedisError

from pine import network

KEY_PREFIX = "pine:rate"


@dataclass(frozen=True)
class Limit:
    name: str  # what is counted, e.g. "event_registration:email"
    count: int  # attempts allowed in a window
    seconds: int  # the window


def _key(limit: Limit, identity: str) -> str:
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{limit.name}:{digest}"


def _hit(limit: Limit, identity: str) -> int:
    """Count one attempt; the number in this window, this one included."""
    key = _key(limit, identity)
    cache.add(key, 0, timeout=limit.seconds)  # starts the window (does nothing if it has started)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between the two calls
        cache.add(key, 1, timeout=limit.seconds)
        return 1


UNAVAILABLE = "This cannot be done just now: part of PINE is not responding. Try again in a few minutes."


class Unavailable(Exception):
    """The counts cannot be read or written (Redis is away): nothing can be said about the limits."""


def exceeded(*checks: tuple[Limit, str | None]) -> bool:
    """Count one attempt against each (limit, identity) given an identity, and say whether any has
    now gone past its limit. Every check is counted, so trying again while refused does not help.
    Raises :class:`Unavailable` when the counts cannot be reached."""
    try:
        counts = [(_hit(limit, identity), limit) for limit, identity in checks if identity]
    except RedisError as error:
        raise Unavailable(f"The rate limits' counts cannot be reached: {error.__class__.__name__}") from error
    return any(count > limit.count for count, limit in counts)


def client_ip(request) -> str:
    """The client's address: ``pine.network.client_ip``, the one reading of it (the lockout's too)."""
    return network.client_ip(request)
