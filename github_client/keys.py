"""Checking the GitHub App's private key (PEM text), wherever it came from.

Where the key comes from (environment, file, Secrets Manager) is the
application's business: :mod:`datalogger.keys`. Errors name the source the
caller gives, never the key's content.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from .errors import PrivateKeyError

#: What ``ssh-keygen`` writes by default; cryptography's PEM loader cannot read it.
OPENSSH_HEADER = "-----BEGIN OPENSSH " + "PRIVATE KEY-----"  # split: no key header in source


def normalise_pem(pem: str) -> str:
    """``pem`` with literal ``\\n`` escapes turned into newlines, trimmed."""
    text = pem.strip()
    if "\n" not in text and "\\n" in text:
        text = text.replace("\\n", "\n")
    return text + "\n"


def parse_private_key(pem: str, source: str) -> RSAPrivateKey:
    """The RSA key in ``pem``; :class:`PrivateKeyError` naming ``source`` otherwise."""
    if OPENSSH_HEADER in pem:
        raise PrivateKeyError(
            f"The GitHub App private key from {source} is in OpenSSH format "
            f"({OPENSSH_HEADER.strip('-')}); GitHub App keys are PKCS#1 PEM (BEGIN RSA PRIVATE "
            "KEY), as the App's settings page downloads them. Use that .pem file unchanged, or "
            'convert this one in place with: ssh-keygen -p -m PEM -N "" -f key.pem'
        )
    try:
        key = load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        problem = _describe_parse_failure(pem, exc)
        raise PrivateKeyError(
            f"The GitHub App private key from {source} is not usable: {problem}. "
            "Download a new private key from the App's settings page and store the whole "
            "PEM file (BEGIN/END lines included)."
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise PrivateKeyError(
            f"The GitHub App private key from {source} is not an RSA key; GitHub App keys are "
            "RSA (RS256). Use the .pem file downloaded from the App's settings page."
        )
    return key


def _describe_parse_failure(pem: str, exc: Exception) -> str:
    if "-----BEGIN" not in pem:
        return "it is not PEM text (no '-----BEGIN' line)"
    if isinstance(exc, TypeError):
        return "it is encrypted with a passphrase, which GitHub App keys are not"
    return "the PEM data could not be decoded (truncated or corrupted)"
