"""Where the GitHub App's private key comes from: environment text, a file, or Secrets Manager.

The HTTP client (:mod:`github_client`) only receives the PEM; the sources,
their environment variable names and boto3 live here with the configuration.
Errors name where the key came from (the variable, file path or secret name),
never its content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from github_client.errors import PrivateKeyError
from github_client.keys import normalise_pem, parse_private_key


class SecretsManagerClient(Protocol):
    """The one boto3 Secrets Manager call used here."""

    def get_secret_value(self, *, SecretId: str) -> Mapping[str, Any]: ...  # noqa: N803


KEY_SOURCES = ("GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_FILE", "AWS_SECRET_NAME")


def load_private_key(
    env: Mapping[str, str], secrets_client: SecretsManagerClient | None = None
) -> str:
    """The App's PEM private key from the first configured source, checked.

    Sources, in order: ``GITHUB_APP_PRIVATE_KEY`` (PEM text; ``\\n`` escapes
    are accepted), ``GITHUB_APP_PRIVATE_KEY_FILE`` (path), ``AWS_SECRET_NAME``
    (Secrets Manager ``SecretString``; the boto3 client is created only then).
    """
    if env.get("GITHUB_APP_PRIVATE_KEY", "").strip():
        source = "environment variable GITHUB_APP_PRIVATE_KEY"
        pem = env["GITHUB_APP_PRIVATE_KEY"]
    elif env.get("GITHUB_APP_PRIVATE_KEY_FILE", "").strip():
        path = env["GITHUB_APP_PRIVATE_KEY_FILE"].strip()
        source = f"file {path} (GITHUB_APP_PRIVATE_KEY_FILE)"
        pem = _read_key_file(path, source)
    elif env.get("AWS_SECRET_NAME", "").strip():
        name = env["AWS_SECRET_NAME"].strip()
        source = f"Secrets Manager secret {name!r} (AWS_SECRET_NAME)"
        pem = _read_secret(name, source, secrets_client)
    else:
        raise PrivateKeyError(
            "No GitHub App private key is configured: set GITHUB_APP_PRIVATE_KEY (PEM text), "
            "GITHUB_APP_PRIVATE_KEY_FILE (path to the .pem file) or AWS_SECRET_NAME "
            "(Secrets Manager secret holding the PEM)."
        )
    pem = normalise_pem(pem)
    parse_private_key(pem, source)
    return pem


def _read_key_file(path: str, source: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise PrivateKeyError(
            f"Cannot read the GitHub App private key from {source}: {reason}. "
            "Check the path and the file's permissions."
        ) from None


def _read_secret(name: str, source: str, client: SecretsManagerClient | None) -> str:
    try:
        if client is None:
            client = boto3.client("secretsmanager")
        answer = client.get_secret_value(SecretId=name)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise PrivateKeyError(
            f"Cannot read the GitHub App private key from {source}: AWS answered {code}. "
            "Check the secret name, its region and the role's secretsmanager:GetSecretValue "
            "permission."
        ) from None
    except BotoCoreError as exc:
        raise PrivateKeyError(
            f"Cannot read the GitHub App private key from {source}: {type(exc).__name__}. "
            "Check AWS credentials, region and network access to Secrets Manager."
        ) from None
    secret = answer.get("SecretString")
    if not isinstance(secret, str) or not secret:
        raise PrivateKeyError(
            f"The {source} has no SecretString (binary secrets are not supported): store the "
            "PEM text as the secret's string value."
        )
    return secret
