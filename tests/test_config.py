# ruff: noqa: E501  (one-line table rows read better than wrapped ones)
"""Configuration: every key of config.json, every environment variable, the event.

Each bad input must stop the run with ONE ConfigError whose message names the
file (or variable, or the event) and the key, and says how to fix it. The
handler-level twin of this table (no GitHub request, no output touched) is in
tests/test_handler_config.py.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datalogger.config import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_SECRET_SCANNING_GENERIC_TYPES,
    ExceptionsLocation,
    RunConfig,
    load_config,
    parse_config_file,
)
from datalogger.errors import ConfigError
from tests.fake_github.model import GENERIC_SECRET_TYPES

SHIPPED_CONFIG: dict[str, Any] = json.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def base_env(tmp_path: Path) -> dict[str, str]:
    return {
        "GITHUB_ORG": "acme",
        "GITHUB_APP_CLIENT_ID": "Iv1.testapp",
        "GITHUB_APP_PRIVATE_KEY_FILE": str(tmp_path / "app.pem"),
        "WRITE_TO_S3": "false",
        "OUTPUT_DIR": str(tmp_path / "out"),
        "CONFIG_PATH": str(tmp_path / "config.json"),
    }


def write_config(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "config.json"
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def set_key(dotted: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        node = doc
        for part in parents:
            node = node[part]
        node[last] = value

    return edit


def del_key(dotted: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        node = doc
        for part in parents:
            node = node[part]
        del node[last]

    return edit


# (case id, edit of config.json, fragments the message must contain)
FEATURES = [
    "repository_collection",
    "dependabot_collection",
    "secret_scanning_collection",
    "show_log_locally",
    "write_to_s3",
]
FILE_CASES: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, ...]]] = []
for _flag in FEATURES:
    FILE_CASES += [
        (f"{_flag}-missing", del_key(f"features.{_flag}"), (f"features.{_flag}", "missing")),
        (
            f"{_flag}-string",
            set_key(f"features.{_flag}", "true"),
            (f"features.{_flag}", "true or false"),
        ),
        (f"{_flag}-int", set_key(f"features.{_flag}", 1), (f"features.{_flag}", "an integer")),
        (f"{_flag}-null", set_key(f"features.{_flag}", None), (f"features.{_flag}", "null")),
    ]
FILE_CASES += [
    ("features-missing", del_key("features"), ("'features'", "missing")),
    ("features-list", set_key("features", []), ("'features'", "must be an object")),
    ("features-unknown", set_key("features.write_to_s4", True), ("features.write_to_s4", "not a known")),
    ("settings-missing", del_key("settings"), ("'settings'", "missing")),
    ("settings-string", set_key("settings", "x"), ("'settings'", "must be an object")),
    ("settings-unknown", set_key("settings.thread_cout", 3), ("settings.thread_cout", "did you mean 'settings.thread_count'", "Remove it")),
    ("settings-unknown-far", set_key("settings.colour", 3), ("settings.colour", "spelling", "known keys")),
    ("top-unknown", set_key("extra", {}), ("'extra'", "not a known")),
    ("thread_count-missing", del_key("settings.thread_count"), ("settings.thread_count", "missing")),
    ("thread_count-string", set_key("settings.thread_count", "20"), ("settings.thread_count", "a string")),
    ("thread_count-float", set_key("settings.thread_count", 2.5), ("settings.thread_count", "integer")),
    ("thread_count-bool", set_key("settings.thread_count", True), ("settings.thread_count", "a boolean")),
    ("thread_count-zero", set_key("settings.thread_count", 0), ("settings.thread_count", "from 1 to 100")),
    ("thread_count-negative", set_key("settings.thread_count", -4), ("settings.thread_count", "got -4")),
    ("thread_count-too-many", set_key("settings.thread_count", 101), ("settings.thread_count", "100")),
    ("thresholds-missing", del_key("settings.dependabot_thresholds"), ("settings.dependabot_thresholds", "missing")),
    ("thresholds-list", set_key("settings.dependabot_thresholds", [5]), ("settings.dependabot_thresholds", "object")),
    ("thresholds-unknown-severity", set_key("settings.dependabot_thresholds.urgent", 1), ("settings.dependabot_thresholds.urgent", "severity")),
    ("thresholds-upper-case", set_key("settings.dependabot_thresholds.Critical", 1), ("settings.dependabot_thresholds.Critical", "severity")),
    ("thresholds-missing-low", del_key("settings.dependabot_thresholds.low"), ("settings.dependabot_thresholds.low", "missing")),
    ("thresholds-string", set_key("settings.dependabot_thresholds.high", "15"), ("settings.dependabot_thresholds.high", "a string")),
    ("thresholds-negative", set_key("settings.dependabot_thresholds.medium", -1), ("settings.dependabot_thresholds.medium", "got -1")),
    ("thresholds-bool", set_key("settings.dependabot_thresholds.critical", False), ("settings.dependabot_thresholds.critical", "a boolean")),
    ("secret-threshold-missing", del_key("settings.secret_scanning_threshold"), ("settings.secret_scanning_threshold", "missing")),
    ("secret-threshold-string", set_key("settings.secret_scanning_threshold", "5"), ("settings.secret_scanning_threshold", "a string")),
    ("secret-threshold-negative", set_key("settings.secret_scanning_threshold", -1), ("settings.secret_scanning_threshold", "got -1")),
    ("secret-threshold-bool", set_key("settings.secret_scanning_threshold", True), ("settings.secret_scanning_threshold", "a boolean")),
    ("inactivity-missing", del_key("settings.inactivity_threshold"), ("settings.inactivity_threshold", "missing")),
    ("inactivity-zero", set_key("settings.inactivity_threshold", 0), ("settings.inactivity_threshold", "from 1")),
    ("inactivity-string", set_key("settings.inactivity_threshold", "1"), ("settings.inactivity_threshold", "a string")),
    ("signed-missing", del_key("settings.signed_commit_number"), ("settings.signed_commit_number", "missing")),
    ("signed-zero", set_key("settings.signed_commit_number", 0), ("settings.signed_commit_number", "from 1 to 100")),
    ("signed-101", set_key("settings.signed_commit_number", 101), ("settings.signed_commit_number", "got 101")),
    ("signed-string", set_key("settings.signed_commit_number", "15"), ("settings.signed_commit_number", "a string")),
    ("signed-bool", set_key("settings.signed_commit_number", True), ("settings.signed_commit_number", "a boolean")),
    ("exceptions-string", set_key("settings.exceptions", "policy.toml"), ("settings.exceptions", "must be an object")),
    ("exceptions-no-path", set_key("settings.exceptions", {"repository": "x"}), ("settings.exceptions.path", "missing")),
    ("exceptions-extra", set_key("settings.exceptions", {"repository": "x", "path": "p", "ref": "main"}), ("settings.exceptions.ref", "not a known")),
    ("exceptions-repo-url", set_key("settings.exceptions", {"repository": "acme/x", "path": "p"}), ("settings.exceptions.repository", "repository name")),
    ("exceptions-path-absolute", set_key("settings.exceptions", {"repository": "x", "path": "/p.toml"}), ("settings.exceptions.path", "relative path")),
    ("exceptions-path-dotdot", set_key("settings.exceptions", {"repository": "x", "path": "a/../p.toml"}), ("settings.exceptions.path", "inside the repository")),
    ("exceptions-path-int", set_key("settings.exceptions", {"repository": "x", "path": 3}), ("settings.exceptions.path",)),
    ("max-exception-days-zero", set_key("settings.max_exception_days", 0), ("settings.max_exception_days", "from 1 to 3660")),
    ("max-exception-days-string", set_key("settings.max_exception_days", "366"), ("settings.max_exception_days", "a string")),
    ("generic-types-string", set_key("settings.secret_scanning_generic_types", "password"), ("settings.secret_scanning_generic_types", "must be a list", "a string")),
    ("generic-types-number", set_key("settings.secret_scanning_generic_types", [1]), ("settings.secret_scanning_generic_types[0]", "an integer")),
    ("generic-types-blank", set_key("settings.secret_scanning_generic_types", ["password", ""]), ("settings.secret_scanning_generic_types[1]", "not a secret type name")),
    ("generic-types-comma", set_key("settings.secret_scanning_generic_types", ["a,b"]), ("settings.secret_scanning_generic_types[0]", "not a secret type name")),
    ("generic-types-repeated", set_key("settings.secret_scanning_generic_types", ["password", "password"]), ("settings.secret_scanning_generic_types[1]", "repeats 'password'")),
    ("generic-types-too-many", set_key("settings.secret_scanning_generic_types", [f"t{i}" for i in range(101)]), ("settings.secret_scanning_generic_types", "101 entries")),
    ("all-collections-off", lambda d: d["features"].update(repository_collection=False, dependabot_collection=False, secret_scanning_collection=False), ("every collection is disabled",)),
]  # fmt: skip

RAW_FILE_CASES = [
    ("trailing-comma", '{\n  "features": {},\n}\n', ("line 3", "column 1", "not valid JSON")),
    ("empty-file", "", ("line 1", "column 1", "not valid JSON")),
    ("top-level-list", "[]", ("(top level)", "must be an object")),
    ("single-quotes", "{'features': 1}", ("line 1", "column 2")),
]

# (case id, env changes (None = unset), fragments)
ENV_CASES: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = [
    ("org-missing", {"GITHUB_ORG": None}, ("GITHUB_ORG", "not set")),
    ("org-blank", {"GITHUB_ORG": "  "}, ("GITHUB_ORG", "not set")),
    ("org-invalid", {"GITHUB_ORG": "acme corp"}, ("GITHUB_ORG", "not a GitHub organisation login")),
    ("org-too-long", {"GITHUB_ORG": "a" * 40}, ("GITHUB_ORG", "39 characters")),
    ("client-id-missing", {"GITHUB_APP_CLIENT_ID": None}, ("GITHUB_APP_CLIENT_ID", "not set")),
    ("client-id-invalid", {"GITHUB_APP_CLIENT_ID": "Iv1 abc"}, ("GITHUB_APP_CLIENT_ID", "client ID")),
    ("no-key-source", {"GITHUB_APP_PRIVATE_KEY_FILE": None}, ("GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_FILE", "AWS_SECRET_NAME")),
    ("api-url-ftp", {"GITHUB_API_URL": "ftp://github.example.com"}, ("GITHUB_API_URL", "http(s)")),
    ("api-url-query", {"GITHUB_API_URL": "https://x.example.com/?a=1"}, ("GITHUB_API_URL", "api/v3")),
    ("api-url-word", {"GITHUB_API_URL": "github"}, ("GITHUB_API_URL",)),
    ("bucket-missing", {"WRITE_TO_S3": "true"}, ("S3_BUCKET", "not set", "WRITE_TO_S3=false")),
    ("bucket-invalid", {"WRITE_TO_S3": "true", "S3_BUCKET": "My_Bucket"}, ("S3_BUCKET", "not a valid S3 bucket name")),
    ("bucket-arn", {"WRITE_TO_S3": "true", "S3_BUCKET": "arn:aws:s3:::logs"}, ("S3_BUCKET", "not its ARN")),
    ("write-to-s3-word", {"WRITE_TO_S3": "maybe"}, ("WRITE_TO_S3", "true or false")),
    ("config-path-missing", {"CONFIG_PATH": "/nonexistent/config.json"}, ("/nonexistent/config.json", "does not exist", "CONFIG_PATH")),
    ("thread-count-word", {"THREAD_COUNT": "many"}, ("THREAD_COUNT", "must be an integer")),
    ("thread-count-zero", {"THREAD_COUNT": "0"}, ("THREAD_COUNT", "from 1 to 100")),
    ("thread-count-negative", {"THREAD_COUNT": "-3"}, ("THREAD_COUNT", "got -3")),
    ("thread-count-too-many", {"THREAD_COUNT": "500"}, ("THREAD_COUNT", "got 500")),
    ("thread-count-float", {"THREAD_COUNT": "2.5"}, ("THREAD_COUNT", "integer")),
    ("log-level-word", {"LOG_LEVEL": "LOUD"}, ("LOG_LEVEL", "DEBUG, INFO, WARNING")),
    ("digest-topic-name", {"DIGEST_TOPIC_ARN": "weekly-digest"}, ("DIGEST_TOPIC_ARN", "not an SNS topic ARN", "digestEmail")),
]  # fmt: skip

EVENT_CASES: list[tuple[str, Any, tuple[str, ...]]] = [
    ("event-list", ["repositories"], ("invocation event", "JSON object")),
    ("event-org-int", {"org": 42}, ("'org'", "must be a string")),
    ("event-org-invalid", {"org": "a b"}, ("event key 'org'", "login")),
    ("event-write-string", {"write_to_s3": "false"}, ("'write_to_s3'", "true or false")),
    ("event-collections-string", {"collections": "repositories"}, ("'collections'", "non-empty list")),
    ("event-collections-empty", {"collections": []}, ("'collections'", "non-empty list")),
    ("event-collections-unknown", {"collections": ["repos"]}, ("'collections'", '"repos"')),
]  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    write_config(tmp_path, SHIPPED_CONFIG)
    return base_env(tmp_path)


def apply_env(env: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    result = dict(env)
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def assert_one_clear_message(err: ConfigError, fragments: tuple[str, ...]) -> None:
    message = str(err)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "\n" not in message
    assert "Traceback" not in message
    assert err.__cause__ is None or isinstance(err.__cause__, ConfigError)


@pytest.mark.parametrize(
    ("edit", "fragments"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
def test_config_file_errors_name_the_file_and_key(
    tmp_path: Path,
    env: dict[str, str],
    edit: Callable[[dict[str, Any]], None],
    fragments: tuple[str, ...],
) -> None:
    document = copy.deepcopy(SHIPPED_CONFIG)
    edit(document)
    path = write_config(tmp_path, document)
    with pytest.raises(ConfigError) as info:
        load_config({}, env)
    assert_one_clear_message(info.value, (str(path), *fragments))


def rename_key(dotted: str, new_name: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        node = doc
        for part in parents:
            node = node[part]
        node[new_name] = node.pop(last)

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            rename_key("settings.thread_count", "thread_cout"),
            "key 'settings.thread_cout' is not a known setting (did you mean "
            "'settings.thread_count'?). Fix its spelling: rename it to 'thread_count'.",
        ),
        (
            rename_key("features.write_to_s3", "write_to_S3"),
            "key 'features.write_to_S3' is not a known setting (did you mean "
            "'features.write_to_s3'?). Fix its spelling: rename it to 'write_to_s3'.",
        ),
        (
            rename_key("settings.dependabot_thresholds.critical", "critcal"),
            "key 'settings.dependabot_thresholds.critcal' is not a Dependabot severity (did you "
            "mean 'settings.dependabot_thresholds.critical'?). Use only critical, high, medium, "
            "low (lower case).",
        ),
        (
            rename_key("settings", "setings"),
            "key 'setings' is not a known setting (did you mean 'settings'?). Fix its spelling: "
            "rename it to 'settings'.",
        ),
    ],
    ids=["thread_cout", "write_to_S3", "critcal", "setings"],
)
def test_a_misspelt_key_is_named_with_the_close_match(
    tmp_path: Path, env: dict[str, str], edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    """The misspelling is reported, not the key it leaves missing."""
    document = copy.deepcopy(SHIPPED_CONFIG)
    edit(document)
    path = write_config(tmp_path, document)
    with pytest.raises(ConfigError) as info:
        load_config({}, env)
    assert str(info.value) == f"Invalid configuration file {path}: {expected}"


@pytest.mark.parametrize(
    ("text", "fragments"), [c[1:] for c in RAW_FILE_CASES], ids=[c[0] for c in RAW_FILE_CASES]
)
def test_malformed_config_file_names_line_and_column(
    tmp_path: Path, env: dict[str, str], text: str, fragments: tuple[str, ...]
) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config({}, env)
    assert_one_clear_message(info.value, (str(path), *fragments))


@pytest.mark.parametrize(
    ("changes", "fragments"), [c[1:] for c in ENV_CASES], ids=[c[0] for c in ENV_CASES]
)
def test_environment_errors_name_the_variable(
    env: dict[str, str], changes: dict[str, str | None], fragments: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({}, apply_env(env, changes))
    assert_one_clear_message(info.value, fragments)


@pytest.mark.parametrize(
    ("event", "fragments"), [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES]
)
def test_event_errors_name_the_key(
    env: dict[str, str], event: Any, fragments: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(event, env)
    assert_one_clear_message(info.value, fragments)


def test_output_dir_that_is_a_file_is_rejected(tmp_path: Path, env: dict[str, str]) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="OUTPUT_DIR"):
        load_config({}, {**env, "OUTPUT_DIR": str(blocker)})


def test_private_key_value_is_never_echoed(env: dict[str, str]) -> None:
    marker = "PRIVATE " + "KEY-----"  # built here so no key header stands in the source
    pem = f"-----BEGIN {marker}\nSECRETMATERIAL\n-----END {marker}"
    bad = {**env, "GITHUB_APP_PRIVATE_KEY": pem, "THREAD_COUNT": "zero"}
    with pytest.raises(ConfigError) as info:
        load_config({}, bad)
    assert "SECRETMATERIAL" not in str(info.value)
    config = load_config({}, {**bad, "THREAD_COUNT": "3"})
    assert config.key_source == "GITHUB_APP_PRIVATE_KEY"
    assert "SECRETMATERIAL" not in repr(config)


# --------------------------------------------------------------------------- valid inputs


def test_shipped_config_with_defaults(env: dict[str, str]) -> None:
    del env["OUTPUT_DIR"], env["WRITE_TO_S3"]
    env["S3_BUCKET"] = "acme-policy-data"
    config = load_config({}, env)
    assert config.org == "acme"
    assert config.app_client_id == "Iv1.testapp"
    assert config.key_source == "GITHUB_APP_PRIVATE_KEY_FILE"
    assert config.api_url == "https://api.github.com"
    assert config.write_to_s3 is True
    assert config.s3_bucket == "acme-policy-data"
    assert config.output_dir == Path("./output")
    assert config.log_level == "INFO"
    assert config.show_log_locally is False
    assert config.collections == ("repositories", "dependabot", "secret_scanning")
    assert config.thread_count == 40
    assert dict(config.dependabot_thresholds) == {
        "critical": 5,
        "high": 15,
        "medium": 60,
        "low": 90,
    }
    assert config.secret_scanning_threshold == 5
    assert config.inactivity_threshold == 1
    assert config.signed_commit_number == 15
    assert config.ignored_event_keys == ()
    assert config.exceptions is None
    assert config.max_exception_days == 366
    assert config.digest_topic_arn is None


def test_run_config_is_frozen(env: dict[str, str]) -> None:
    config = load_config({}, env)
    assert isinstance(config, RunConfig)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.org = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.dependabot_thresholds["critical"] = 0  # type: ignore[index]


WRITE_PRECEDENCE = [
    # (event, WRITE_TO_S3, features.write_to_s3, expected)
    ({}, None, True, True),
    ({}, None, False, False),
    ({}, "false", True, False),
    ({}, "TRUE", False, True),
    ({"write_to_s3": True}, "false", False, True),
    ({"write_to_s3": False}, "true", True, False),
]


@pytest.mark.parametrize("case", WRITE_PRECEDENCE)
def test_write_to_s3_precedence_event_env_file(
    tmp_path: Path, env: dict[str, str], case: tuple[dict[str, Any], str | None, bool, bool]
) -> None:
    event, env_write, file_write, expected = case
    document = copy.deepcopy(SHIPPED_CONFIG)
    document["features"]["write_to_s3"] = file_write
    write_config(tmp_path, document)
    changes: dict[str, str | None] = {"WRITE_TO_S3": env_write, "S3_BUCKET": "acme-logs"}
    config = load_config(event, apply_env(env, changes))
    assert config.write_to_s3 is expected


def test_thread_count_env_overrides_file(env: dict[str, str]) -> None:
    assert load_config({}, env).thread_count == 40
    assert load_config({}, {**env, "THREAD_COUNT": "7"}).thread_count == 7
    assert load_config({}, {**env, "THREAD_COUNT": ""}).thread_count == 40


def test_event_org_overrides_env(env: dict[str, str]) -> None:
    assert load_config({"org": "other-org"}, env).org == "other-org"
    # the event's org even stands in for a missing GITHUB_ORG
    assert (
        load_config({"org": "other-org"}, apply_env(env, {"GITHUB_ORG": None})).org == "other-org"
    )


def test_event_collections_override_features(tmp_path: Path, env: dict[str, str]) -> None:
    document = copy.deepcopy(SHIPPED_CONFIG)
    document["features"]["dependabot_collection"] = False
    write_config(tmp_path, document)
    assert load_config({}, env).collections == ("repositories", "secret_scanning")
    event = {"collections": ["secret_scanning", "dependabot", "dependabot"]}
    assert load_config(event, env).collections == ("dependabot", "secret_scanning")


def test_unknown_event_keys_are_named_not_valued(env: dict[str, str]) -> None:
    event = {"detail-type": "Scheduled Event", "detail": {"token": "ghs_x"}, "org": "acme"}
    config = load_config(event, env)
    assert config.ignored_event_keys == ("detail", "detail-type")
    assert "ghs_x" not in repr(config)


def test_env_values_and_defaults(env: dict[str, str]) -> None:
    config = load_config(
        {},
        {
            **env,
            "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
            "LOG_LEVEL": "debug",
            "AWS_SECRET_NAME": "github-app-key",
        },
    )
    assert config.api_url == "https://ghe.example.com/api/v3"
    assert config.log_level == "DEBUG"
    assert config.key_source == "GITHUB_APP_PRIVATE_KEY_FILE"  # listed order wins


def test_event_none_is_empty(env: dict[str, str]) -> None:
    assert load_config(None, env).collections == ("repositories", "dependabot", "secret_scanning")


def test_parse_config_file_accepts_zero_thresholds(tmp_path: Path) -> None:
    document = copy.deepcopy(SHIPPED_CONFIG)
    document["settings"]["dependabot_thresholds"]["critical"] = 0
    document["settings"]["secret_scanning_threshold"] = 0
    parsed = parse_config_file(json.dumps(document), tmp_path / "c.json")
    assert parsed.dependabot_thresholds["critical"] == 0
    assert parsed.secret_scanning_threshold == 0


def test_generic_types_default_to_the_documented_patterns(tmp_path: Path) -> None:
    document = copy.deepcopy(SHIPPED_CONFIG)
    shipped = document["settings"].pop("secret_scanning_generic_types")
    parsed = parse_config_file(json.dumps(document), tmp_path / "c.json")
    assert parsed.secret_scanning_generic_types == DEFAULT_SECRET_SCANNING_GENERIC_TYPES
    assert tuple(shipped) == DEFAULT_SECRET_SCANNING_GENERIC_TYPES  # config.json ships them
    # The fake GitHub's own list of types it hides unless named, written separately.
    assert set(DEFAULT_SECRET_SCANNING_GENERIC_TYPES) == GENERIC_SECRET_TYPES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([], ()),
        (["rsa_private_key"], ("rsa_private_key",)),
        (["password", "custom.pattern-1"], ("password", "custom.pattern-1")),
    ],
)
def test_generic_types_as_configured(
    tmp_path: Path, value: list[str], expected: tuple[str, ...]
) -> None:
    document = copy.deepcopy(SHIPPED_CONFIG)
    document["settings"]["secret_scanning_generic_types"] = value
    parsed = parse_config_file(json.dumps(document), tmp_path / "c.json")
    assert parsed.secret_scanning_generic_types == expected


def test_every_config_key_has_a_missing_case() -> None:
    """The table covers every key of the shipped config.json."""
    keys = [f"features.{k}" for k in SHIPPED_CONFIG["features"]] + [
        f"settings.{k}" for k in SHIPPED_CONFIG["settings"]
    ]
    keys += [f"settings.dependabot_thresholds.{s}" for s in ("critical", "high", "medium", "low")]
    covered = " ".join(" ".join(case[2]) for case in FILE_CASES)
    for key in keys:
        assert key in covered, key


def test_exceptions_location_and_horizon_are_read(tmp_path: Path, env: dict[str, str]) -> None:
    document = copy.deepcopy(SHIPPED_CONFIG)
    document["settings"]["exceptions"] = {
        "repository": ".github-private",
        "path": "policy/exceptions.toml",
    }
    document["settings"]["max_exception_days"] = 90
    write_config(tmp_path, document)
    env["DIGEST_TOPIC_ARN"] = "arn:aws:sns:eu-west-1:123456789012:digest"
    config = load_config({}, env)
    assert config.exceptions == ExceptionsLocation(".github-private", "policy/exceptions.toml")
    assert config.exceptions.source == ".github-private:policy/exceptions.toml"
    assert config.max_exception_days == 90
    assert config.digest_topic_arn == "arn:aws:sns:eu-west-1:123456789012:digest"


def test_exceptions_null_reads_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    document = copy.deepcopy(SHIPPED_CONFIG)
    document["settings"]["exceptions"] = None
    write_config(tmp_path, document)
    assert load_config({}, env).exceptions is None
