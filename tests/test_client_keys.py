"""load_private_key: the three sources in order, and errors that name the source only.

Secrets Manager is moto's server over real HTTP.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from moto.server import ThreadedMotoServer

from datalogger.keys import load_private_key
from github_client import GitHubClient, PrivateKeyError


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def secrets(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> object:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return boto3.client("secretsmanager")


def test_env_key_is_used_first(app_private_key: str, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    other.write_text("not a key")
    env = {"GITHUB_APP_PRIVATE_KEY": app_private_key, "GITHUB_APP_PRIVATE_KEY_FILE": str(other)}
    assert load_private_key(env).strip() == app_private_key.strip()


def test_env_key_with_escaped_newlines(app_private_key: str) -> None:
    escaped = app_private_key.strip().replace("\n", "\\n")
    assert load_private_key({"GITHUB_APP_PRIVATE_KEY": escaped}).strip() == app_private_key.strip()


def test_file_key(app_private_key: str, tmp_path: Path) -> None:
    path = tmp_path / "app.pem"
    path.write_text(app_private_key)
    assert load_private_key({"GITHUB_APP_PRIVATE_KEY_FILE": str(path)}) == app_private_key


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.pem"
    with pytest.raises(PrivateKeyError, match=r"nope\.pem.*GITHUB_APP_PRIVATE_KEY_FILE"):
        load_private_key({"GITHUB_APP_PRIVATE_KEY_FILE": str(path), "GITHUB_APP_PRIVATE_KEY": ""})


def test_no_source_lists_the_three_variables() -> None:
    with pytest.raises(PrivateKeyError) as caught:
        load_private_key({"GITHUB_APP_PRIVATE_KEY": "  "})
    for name in ("GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_FILE", "AWS_SECRET_NAME"):
        assert name in str(caught.value)


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda pem: "just some text, no key", "not PEM text"),
        (lambda pem: pem[: len(pem) // 2], "could not be decoded"),
        (lambda pem: pem.replace("M", "X", 5), "could not be decoded"),
    ],
)
def test_bad_pem_names_the_source_never_the_content(
    app_private_key: str, mangle: Callable[[str], str], reason: str
) -> None:
    bad = mangle(app_private_key)
    with pytest.raises(PrivateKeyError) as caught:
        load_private_key({"GITHUB_APP_PRIVATE_KEY": bad})
    message = str(caught.value)
    assert "GITHUB_APP_PRIVATE_KEY" in message and reason in message
    for line in app_private_key.splitlines()[1:-1]:
        assert line[:16] not in message and line[-16:] not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_non_rsa_and_encrypted_keys_are_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with pytest.raises(PrivateKeyError, match="not an RSA key"):
        load_private_key({"GITHUB_APP_PRIVATE_KEY": ec_pem})
    encrypted = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    ).decode()
    with pytest.raises(PrivateKeyError, match="passphrase"):
        load_private_key({"GITHUB_APP_PRIVATE_KEY": encrypted})


def test_client_refuses_a_bad_pem_before_any_request() -> None:
    with pytest.raises(PrivateKeyError, match="private_key_pem argument"):
        GitHubClient(
            "acme", "Iv1.x", "-----BEGIN RSA " + "PRIVATE KEY-----\nAAAA\n", "http://127.0.0.1:9"
        )


def test_secrets_manager_key(app_private_key: str, secrets: object) -> None:
    client = boto3.client("secretsmanager")
    client.create_secret(Name="gh-app-key", SecretString=app_private_key)
    # The client is created lazily from the environment when not given.
    assert load_private_key({"AWS_SECRET_NAME": "gh-app-key"}) == app_private_key
    assert load_private_key({"AWS_SECRET_NAME": "gh-app-key"}, client) == app_private_key


def test_secrets_manager_missing_secret_names_it_and_the_aws_code(secrets: object) -> None:
    with pytest.raises(PrivateKeyError) as caught:
        load_private_key({"AWS_SECRET_NAME": "no-such-secret"})
    assert "'no-such-secret'" in str(caught.value)
    assert "ResourceNotFoundException" in str(caught.value)


def test_secrets_manager_binary_and_bad_secrets(secrets: object) -> None:
    client = boto3.client("secretsmanager")
    client.create_secret(Name="binary-key", SecretBinary=b"\x00\x01")
    with pytest.raises(PrivateKeyError, match="no SecretString"):
        load_private_key({"AWS_SECRET_NAME": "binary-key"})
    client.create_secret(Name="text-key", SecretString="hunter2-not-a-key")
    with pytest.raises(PrivateKeyError) as caught:
        load_private_key({"AWS_SECRET_NAME": "text-key"})
    assert "'text-key'" in str(caught.value) and "hunter2" not in str(caught.value)


def test_an_openssh_format_key_is_recognised_with_the_conversion(
    app_private_key: str, tmp_path: Path
) -> None:
    """ssh-keygen's default format: say what GitHub gives and how to convert, exactly."""
    key = serialization.load_pem_private_key(app_private_key.encode(), password=None)
    openssh = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "key.pem"
    path.write_text(openssh)
    with pytest.raises(PrivateKeyError) as caught:
        load_private_key({"GITHUB_APP_PRIVATE_KEY_FILE": str(path)})
    assert str(caught.value) == (
        f"The GitHub App private key from file {path} (GITHUB_APP_PRIVATE_KEY_FILE) is in OpenSSH "
        "format (BEGIN OPENSSH "
        + "PRIVATE KEY); GitHub App keys are PKCS#1 PEM (BEGIN RSA PRIVATE "
        "KEY), as the App's settings page downloads them. Use that .pem file unchanged, or "
        'convert this one in place with: ssh-keygen -p -m PEM -N "" -f key.pem'
    )


def test_the_advised_conversion_turns_an_openssh_key_into_a_usable_one(
    app_private_key: str, tmp_path: Path
) -> None:
    """The command in the message works (ssh-keygen is part of any OpenSSH install)."""
    ssh_keygen = shutil.which("ssh-keygen")
    if ssh_keygen is None:
        pytest.skip("ssh-keygen (OpenSSH client) is not installed: the conversion is not tried")
    key = serialization.load_pem_private_key(app_private_key.encode(), password=None)
    path = tmp_path / "key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    subprocess.run(  # noqa: S603 - the advised command, on a throw-away copy
        [ssh_keygen, "-p", "-m", "PEM", "-N", "", "-f", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
        timeout=30,
    )
    converted = load_private_key({"GITHUB_APP_PRIVATE_KEY_FILE": str(path)})
    assert converted.startswith("-----BEGIN RSA " + "PRIVATE KEY-----\n")
