"""The App's RSA key, generated at run time (never committed), once per process."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@functools.cache
def app_private_key_pem() -> str:
    """A 2048-bit RSA private key in PKCS#8 PEM, the same for the whole process."""
    return new_private_key_pem()


def new_private_key_pem() -> str:
    """A fresh 2048-bit RSA private key in PKCS#8 PEM (for "wrong key" tests)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


@functools.lru_cache(maxsize=16)
def public_key_pem(private_pem: str) -> str:
    """The public half of ``private_pem``, as PEM (cached: loading a key is slow)."""
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )
