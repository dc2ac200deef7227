"""GitHub App authentication as GitHub checks it: the App JWT and installation tokens."""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt

# ``exp`` may be at most this far after GitHub's now (not after ``iat``: GitHub's own
# example signs iat = now - 60, exp = now + 600); ``iat`` may not be in the future.
JWT_MAX_LIFETIME = 600.0

MSG_JWT_UNDECODABLE = "A JSON web token could not be decoded"
MSG_JWT_EXPIRED = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future "
    "time at which the assertion expires"
)
MSG_JWT_TOO_LONG = "'Expiration time' claim ('exp') is too far in the future"
MSG_JWT_IAT = (
    "'Issued at' claim ('iat') must be an Integer representing the time that the "
    "assertion was issued"
)
MSG_JWT_ISSUER = "'Issuer' claim ('iss') must be an Integer"
MSG_JWT_UNKNOWN_ISSUER = "Integration not found"
MSG_BAD_CREDENTIALS = "Bad credentials"
MSG_REQUIRES_AUTH = "Requires authentication"

_TOKEN_ALPHABET = string.ascii_letters + string.digits

DEFAULT_PERMISSIONS: dict[str, str] = {
    "administration": "read",
    "contents": "read",
    "members": "read",
    "metadata": "read",
    "organization_administration": "read",
    "pull_requests": "read",
    "secret_scanning_alerts": "read",
    "vulnerability_alerts": "read",
}


class AuthFailure(Exception):  # noqa: N818 - an answer, not a bug
    """The request's credentials were refused: answer ``status`` with ``message``."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def iso_z(epoch: float) -> str:
    """Epoch seconds as GitHub's ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bearer_credential(authorization: str | None) -> str | None:
    """The credential of an ``Authorization: Bearer|token <x>`` header, if any."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() not in ("bearer", "token") or not value.strip():
        return None
    return value.strip()


def looks_like_jwt(credential: str) -> bool:
    return credential.count(".") == 2 and not credential.startswith("gh")


class AppJwtVerifier:
    """Checks an App JWT: RS256 signature, ``iss``, ``iat`` and ``exp`` on the fake's clock."""

    def __init__(self, public_key_pem: str, issuers: set[str], now: Callable[[], float]) -> None:
        self._public_key = public_key_pem
        self._issuers = issuers
        self._now = now

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The JWT's claims; raises :class:`AuthFailure` (401) like GitHub does."""
        credential = bearer_credential(authorization)
        if credential is None or not looks_like_jwt(credential):
            raise AuthFailure(MSG_JWT_UNDECODABLE)
        claims = self._decode(credential)
        self._check_times(claims)
        self._check_issuer(claims)
        return claims

    def _decode(self, credential: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(credential)
            if header.get("alg") != "RS256":
                raise AuthFailure(MSG_JWT_UNDECODABLE)
            claims: dict[str, Any] = jwt.decode(
                credential,
                self._public_key,
                algorithms=["RS256"],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_iss": False,
                    "verify_aud": False,
                    "verify_sub": False,
                    "verify_jti": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise AuthFailure(MSG_JWT_UNDECODABLE) from exc
        return claims

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self._now()
        iat, exp = _number(claims.get("iat")), _number(claims.get("exp"))
        if iat is None or iat > now:
            raise AuthFailure(MSG_JWT_IAT)
        if exp is None or exp <= now:
            raise AuthFailure(MSG_JWT_EXPIRED)
        if exp > now + JWT_MAX_LIFETIME:
            raise AuthFailure(MSG_JWT_TOO_LONG)

    def _check_issuer(self, claims: dict[str, Any]) -> None:
        iss = claims.get("iss")
        if iss is None:
            raise AuthFailure(MSG_JWT_ISSUER)
        if str(iss) not in self._issuers:
            raise AuthFailure(MSG_JWT_UNKNOWN_ISSUER)


def _number(value: object) -> float | None:
    """A numeric claim's value; None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class TokenStore:
    """Installation tokens (``ghs_...``) with their expiry on the fake's clock."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}

    def issue(self, ttl: float) -> tuple[str, float]:
        """A new token and its expiry (epoch seconds)."""
        token = "ghs_" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36))
        expires = self._now() + ttl
        with self._lock:
            self._tokens[token] = expires
        return token, expires

    def check(self, authorization: str | None) -> None:
        """Raise :class:`AuthFailure` unless the header carries a live token."""
        credential = bearer_credential(authorization)
        if credential is None:
            raise AuthFailure(MSG_REQUIRES_AUTH)
        with self._lock:
            expires = self._tokens.get(credential)
        if expires is None or expires <= self._now():
            raise AuthFailure(MSG_BAD_CREDENTIALS)

    def knows(self, credential: str) -> bool:
        """Whether this store issued ``credential`` (live or not)."""
        with self._lock:
            return credential in self._tokens

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()
