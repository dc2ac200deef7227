"""GitHub App authentication state: the App JWT and the installation token.

Both are cached. The installation token is refreshed a few minutes before it
expires, or after GitHub rejects it, by exactly one thread while the others
wait for the result (lock + double check).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from .clock import Clock

#: JWTs are issued this far in the past to absorb clock drift (GitHub's advice).
JWT_BACKDATE = 60
#: JWT lifetime after ``iat``; GitHub's maximum is 10 minutes.
JWT_LIFETIME = 9 * 60
#: A cached JWT is reused for this long after being made.
JWT_REUSE = 5 * 60
#: An installation token is replaced this long before its ``expires_at``.
TOKEN_REFRESH_MARGIN = 5 * 60


def jwt_claims(app_id: str | int, now: float) -> dict[str, int | str]:
    """The App JWT's claims at ``now``: ``iat`` 60 s back, ``exp`` 9 min after ``iat``."""
    issued = int(now) - JWT_BACKDATE
    return {"iat": issued, "exp": issued + JWT_LIFETIME, "iss": str(app_id)}


class AppJwt:
    """Makes and caches the App's RS256 JWT."""

    def __init__(self, app_id: str | int, key: RSAPrivateKey, clock: Clock) -> None:
        self._app_id = app_id
        self._key = key
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, str] | None = None

    def __repr__(self) -> str:
        return f"AppJwt(app_id={self._app_id!r})"

    def current(self) -> str:
        """A JWT valid for at least three more minutes."""
        now = self._clock.time()
        with self._lock:
            if self._cached is not None and 0 <= now - self._cached[0] < JWT_REUSE:
                return self._cached[1]
            token = jwt.encode(jwt_claims(self._app_id, now), self._key, algorithm="RS256")
            self._cached = (now, token)
            return token


@dataclass(frozen=True)
class InstallationToken:
    """An installation access token and its expiry (epoch seconds)."""

    value: str = field(repr=False)
    expires_at: float
    # The installation's granted permissions as the token answer lists them
    # ({"metadata": "read", ...}); None when the answer had no such object.
    permissions: Mapping[str, str] | None = None


def parse_expires_at(text: str) -> float:
    """Epoch seconds from GitHub's ``expires_at`` (``2026-11-30T13:00:00Z``).

    Raises ``ValueError`` for anything else.
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("expires_at has no time zone")
    return moment.timestamp()


class TokenCache:
    """The current installation token, refreshed once for all threads.

    ``fetch`` obtains a new token (HTTP); it runs under the lock, so threads
    that notice a stale token together cause exactly one fetch.
    """

    def __init__(self, fetch: Callable[[], InstallationToken], clock: Clock) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        # (token, refresh_at), replaced as one object so readers never mix two tokens.
        self._state: tuple[InstallationToken, float] | None = None
        self._fetches = 0

    def __repr__(self) -> str:
        return f"TokenCache(fetches={self._fetches})"

    @property
    def fetches(self) -> int:
        """Tokens obtained so far."""
        return self._fetches

    @property
    def permissions(self) -> Mapping[str, str] | None:
        """The permissions of the latest token (None before the first or when not listed)."""
        state = self._state
        return None if state is None else state[0].permissions

    def current(self) -> str:
        """A token not about to expire, fetching one if needed."""
        state = self._state
        if state is not None and self._clock.time() < state[1]:
            return state[0].value
        with self._lock:
            state = self._state
            if state is None or self._clock.time() >= state[1]:
                token = self._fetch()
                state = (token, refresh_time(token, self._clock.time()))
                self._state = state
                self._fetches += 1
            return state[0].value

    def invalidate(self, rejected: str) -> None:
        """Forget ``rejected`` (GitHub answered 401 to it) unless already replaced."""
        with self._lock:
            if self._state is not None and self._state[0].value == rejected:
                self._state = None


def refresh_time(token: InstallationToken, now: float) -> float:
    """When to replace ``token``: 5 min before expiry, or half-way for short-lived tokens."""
    lifetime = max(token.expires_at - now, 0.0)
    return token.expires_at - min(TOKEN_REFRESH_MARGIN, lifetime / 2)
