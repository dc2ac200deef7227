"""Configuration: ``config.json``, environment variables and event overrides.

Everything is validated before the first GitHub call. Precedence, highest first:
event keys, environment variables, ``config.json``, built-in defaults
(see docs/spec ``interface.md``). Any problem raises :class:`ConfigError` whose
message names the file or variable, the key and how to fix it. Values of the
private key variables are never read here beyond "is it set", and never echoed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from datalogger.errors import ConfigError
from datalogger.keys import KEY_SOURCES
from datalogger.registry import COLLECTIONS, REGISTRY

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config.json"
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_OUTPUT_DIR = "./output"
DEFAULT_LOG_LEVEL = "INFO"

# GitHub's documentation advises against more than about 100 concurrent requests.
MAX_THREAD_COUNT = 100
MAX_SIGNED_COMMIT_NUMBER = 100  # one GraphQL page of history
MAX_YEARS = 100
MAX_DAYS = 36_500

SEVERITIES = ("critical", "high", "medium", "low")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
EVENT_KEYS = ("org", "write_to_s3", "collections", "output_prefix")
# output_prefix: letters, digits and ._-/ only (interface.md "Entry point").
_PREFIX_CHARACTERS = re.compile(r"^[A-Za-z0-9._/-]*$")
MAX_OUTPUT_PREFIX = 200

# collection name used in outputs and the run summary -> its features.<flag>
FEATURE_OF_COLLECTION = {name: entry.feature for name, entry in REGISTRY.items()}
FEATURE_KEYS = (*FEATURE_OF_COLLECTION.values(), "show_log_locally", "write_to_s3")
SETTING_KEYS = (
    "thread_count",
    "dependabot_thresholds",
    "secret_scanning_threshold",
    "inactivity_threshold",
    "signed_commit_number",
)
# Settings that may be left out (their default applies).
OPTIONAL_SETTING_KEYS = ("secret_scanning_generic_types", "exceptions", "max_exception_days")
EXCEPTIONS_KEYS = ("repository", "path")
DEFAULT_MAX_EXCEPTION_DAYS = 366
MAX_EXCEPTION_DAYS = 3660

# The generic (non-provider) secret scanning patterns, and the AI-detected
# "password", as GitHub documents them under "Supported secret scanning
# patterns" (docs.github.com/en/code-security/reference/secret-security/
# supported-secret-scanning-patterns), taken 2026-12-03. GitHub lists their
# alerts only when ``secret_type`` names them.
DEFAULT_SECRET_SCANNING_GENERIC_TYPES = (
    "ec_private_key",
    "generic_private_key",
    "http_basic_authentication_header",
    "http_bearer_authentication_header",
    "mongodb_connection_string",
    "mysql_connection_url",
    "openssh_private_key",
    "pgp_private_key",
    "postgres_connection_string",
    "rsa_private_key",
    "password",
)
MAX_GENERIC_TYPES = 100
_SECRET_TYPE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")

_ORG_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
ORG_LOGIN_PATTERN = _ORG_LOGIN
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


@dataclass(frozen=True)
class ExceptionsLocation:
    """Where the organisation keeps its exceptions file (``settings.exceptions``)."""

    repository: str  # a repository of the audited organisation
    path: str  # the file's path in it, e.g. "policy/exceptions.toml"

    @property
    def source(self) -> str:
        """``repo:path``, as the run summary names it."""
        return f"{self.repository}:{self.path}"


@dataclass(frozen=True)
class RunConfig:
    """The validated configuration of one run."""

    org: str
    app_client_id: str
    key_source: str  # name of the first private key variable that is set
    api_url: str
    write_to_s3: bool
    s3_bucket: str | None
    output_dir: Path
    config_path: Path
    log_level: str
    show_log_locally: bool
    collections: tuple[str, ...]  # enabled collections, in COLLECTIONS order
    thread_count: int
    dependabot_thresholds: Mapping[str, int]
    secret_scanning_threshold: int
    inactivity_threshold: int
    signed_commit_number: int
    ignored_event_keys: tuple[str, ...] = ()
    exceptions: ExceptionsLocation | None = None  # None: no exceptions file is read
    max_exception_days: int = DEFAULT_MAX_EXCEPTION_DAYS
    digest_topic_arn: str | None = None  # DIGEST_TOPIC_ARN: publish the digest there
    secret_scanning_generic_types: tuple[str, ...] = DEFAULT_SECRET_SCANNING_GENERIC_TYPES
    # Put before every key and local path the run writes or reads ("" = the root).
    output_prefix: str = ""

    @property
    def local_dir(self) -> Path:
        """Where this run's local files go: ``OUTPUT_DIR/<output_prefix>``."""
        return self.output_dir / self.output_prefix

    def enabled(self, collection: str) -> bool:
        """Whether ``collection`` runs in this invocation."""
        return collection in self.collections


@dataclass(frozen=True)
class FileConfig:
    """The validated content of ``config.json``."""

    features: Mapping[str, bool]
    thread_count: int
    dependabot_thresholds: Mapping[str, int]
    secret_scanning_threshold: int
    inactivity_threshold: int
    signed_commit_number: int
    exceptions: ExceptionsLocation | None = None
    max_exception_days: int = DEFAULT_MAX_EXCEPTION_DAYS
    secret_scanning_generic_types: tuple[str, ...] = DEFAULT_SECRET_SCANNING_GENERIC_TYPES


# --------------------------------------------------------------------------- helpers


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _file_error(path: Path, key: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"Invalid configuration file {path}: key '{key}' {problem}. {fix}")


def _bounded_int(
    value: object, path: Path, key: str, low: int, high: int, *, fix_extra: str = ""
) -> int:
    """``value`` as an int in [low, high]; a bool is not an int."""
    fix = f"Set '{key}' to a whole number from {low} to {high}{fix_extra}."
    if isinstance(value, bool) or not isinstance(value, int):
        raise _file_error(
            path, key, f"must be an integer, got {_type_name(value)} {_shown(value)}", fix
        )
    if not low <= value <= high:
        raise _file_error(path, key, f"must be from {low} to {high}, got {value}", fix)
    return value


def _require_object(
    value: object, path: Path, key: str, expected: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _file_error(
            path,
            key,
            f"must be an object, got {_type_name(value)}",
            f"Make '{key}' an object with the keys {', '.join(expected)}.",
        )
    return value


def _check_keys(
    obj: Mapping[str, Any],
    path: Path,
    prefix: str,
    expected: tuple[str, ...],
    optional: tuple[str, ...] = (),
) -> None:
    """No unknown (misspelt) key, then every expected key present (``optional`` may be
    left out).

    Unknown keys are reported first: a misspelt key is also a missing one, and
    the misspelling is what the operator has to fix.
    """
    known = expected + optional
    for key in obj:
        if key not in known:
            missing = [k for k in known if k not in obj]
            raise _unknown_key_error(path, prefix, key, missing, known)
    for key in expected:
        if key not in obj:
            raise _file_error(
                path,
                f"{prefix}{key}",
                "is missing",
                "Add it (see the shipped config.json for its meaning and default).",
            )


def _unknown_key_error(
    path: Path, prefix: str, key: str, missing: list[str], known: tuple[str, ...]
) -> ConfigError:
    """'not a known setting', with the closest known key when one is close enough."""
    misspelt = close_match(key, missing)
    duplicate = None if misspelt else close_match(key, known)
    if misspelt is not None:
        problem, fix = (
            f"is not a known setting (did you mean '{prefix}{misspelt}'?)",
            (f"Fix its spelling: rename it to '{misspelt}'."),
        )
    elif duplicate is not None:
        problem, fix = (
            f"is not a known setting (did you mean '{prefix}{duplicate}'?)",
            (f"Remove it: '{prefix}{duplicate}' is already set."),
        )
    else:
        problem = "is not a known setting"
        fix = f"Remove it or fix its spelling; known keys: {', '.join(known)}."
    return _file_error(path, f"{prefix}{key}", problem, fix)


def close_match(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate ``word`` is most probably a misspelling of, if any (difflib)."""
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


# --------------------------------------------------------------------------- config.json


def parse_config_file(text: str, path: Path) -> FileConfig:
    """Validate the text of a ``config.json``; raise ConfigError naming the key."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"Invalid configuration file {path}: not valid JSON at line {err.lineno}, "
            f"column {err.colno} ({err.msg}). Fix the syntax (e.g. a missing comma or quote)."
        ) from None
    top = _require_object(raw, path, "(top level)", ("features", "settings"))
    _check_keys(top, path, "", ("features", "settings"))
    features = _require_object(top["features"], path, "features", FEATURE_KEYS)
    _check_keys(features, path, "features.", FEATURE_KEYS)
    for key in FEATURE_KEYS:
        if not isinstance(features[key], bool):
            raise _file_error(
                path,
                f"features.{key}",
                f"must be true or false, got {_type_name(features[key])} {_shown(features[key])}",
                "Write true or false without quotes.",
            )
    settings = _require_object(top["settings"], path, "settings", SETTING_KEYS)
    _check_keys(settings, path, "settings.", SETTING_KEYS, OPTIONAL_SETTING_KEYS)
    return FileConfig(
        features=MappingProxyType({key: bool(features[key]) for key in FEATURE_KEYS}),
        thread_count=_bounded_int(
            settings["thread_count"],
            path,
            "settings.thread_count",
            1,
            MAX_THREAD_COUNT,
            fix_extra=" (GitHub advises against more than about 100 concurrent requests)",
        ),
        dependabot_thresholds=_thresholds(settings["dependabot_thresholds"], path),
        secret_scanning_threshold=_bounded_int(
            settings["secret_scanning_threshold"],
            path,
            "settings.secret_scanning_threshold",
            0,
            MAX_DAYS,
            fix_extra=" (days)",
        ),
        inactivity_threshold=_bounded_int(
            settings["inactivity_threshold"],
            path,
            "settings.inactivity_threshold",
            1,
            MAX_YEARS,
            fix_extra=" (years)",
        ),
        signed_commit_number=_bounded_int(
            settings["signed_commit_number"],
            path,
            "settings.signed_commit_number",
            1,
            MAX_SIGNED_COMMIT_NUMBER,
            fix_extra=" (latest commits checked on the default branch)",
        ),
        exceptions=_exceptions_location(settings.get("exceptions"), path),
        max_exception_days=_bounded_int(
            settings.get("max_exception_days", DEFAULT_MAX_EXCEPTION_DAYS),
            path,
            "settings.max_exception_days",
            1,
            MAX_EXCEPTION_DAYS,
            fix_extra=" (days an exception may run past the run's date)",
        ),
        secret_scanning_generic_types=_generic_types(
            settings.get("secret_scanning_generic_types", DEFAULT_SECRET_SCANNING_GENERIC_TYPES),
            path,
        ),
    )


def _exceptions_location(value: object, path: Path) -> ExceptionsLocation | None:
    """``settings.exceptions``: null (none) or ``{"repository": ..., "path": ...}``."""
    key = "settings.exceptions"
    if value is None:
        return None
    obj = _require_object(value, path, key, EXCEPTIONS_KEYS)
    _check_keys(obj, path, f"{key}.", EXCEPTIONS_KEYS)
    repository, file_path = obj["repository"], obj["path"]
    if not isinstance(repository, str) or not _REPOSITORY_NAME.fullmatch(repository):
        raise _file_error(
            path,
            f"{key}.repository",
            f"must be a repository name, got {_type_name(repository)} {_shown(repository)}",
            'Give the name of a repository of the organisation, e.g. ".github-private".',
        )
    parts = file_path.split("/") if isinstance(file_path, str) else []
    if not parts or any(part in ("", ".", "..") for part in parts) or "\\" in file_path:
        raise _file_error(
            path,
            f"{key}.path",
            f"must be a file path inside the repository, got {_shown(file_path)}",
            'Give a relative path with "/" separators, e.g. "policy/exceptions.toml".',
        )
    return ExceptionsLocation(repository, file_path)


def _generic_types(value: object, path: Path) -> tuple[str, ...]:
    """A list of distinct secret type names (token names); [] asks for none."""
    key = "settings.secret_scanning_generic_types"
    fix = (
        f"Give a list of at most {MAX_GENERIC_TYPES} secret type names such as "
        '"rsa_private_key" (GitHub\'s token names), [] for none, or leave the key out '
        "for GitHub's documented generic patterns."
    )
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list):
        raise _file_error(path, key, f"must be a list, got {_type_name(value)}", fix)
    if len(value) > MAX_GENERIC_TYPES:
        raise _file_error(path, key, f"has {len(value)} entries", fix)
    seen: list[str] = []
    for index, item in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(item, str) or not _SECRET_TYPE.match(item):
            raise _file_error(
                path, where, f"is not a secret type name: {_type_name(item)} {_shown(item)}", fix
            )
        if item in seen:
            raise _file_error(path, where, f"repeats {item!r}", "List each secret type once.")
        seen.append(item)
    return tuple(seen)


def _thresholds(value: object, path: Path) -> Mapping[str, int]:
    key = "settings.dependabot_thresholds"
    obj = _require_object(value, path, key, SEVERITIES)
    for severity in obj:
        if severity not in SEVERITIES:
            match = close_match(severity.lower(), [s for s in SEVERITIES if s not in obj])
            meant = f" (did you mean '{key}.{match}'?)" if match else ""
            raise _file_error(
                path,
                f"{key}.{severity}",
                f"is not a Dependabot severity{meant}",
                f"Use only {', '.join(SEVERITIES)} (lower case).",
            )
    for severity in SEVERITIES:
        if severity not in obj:
            raise _file_error(
                path,
                f"{key}.{severity}",
                "is missing",
                f"Give a threshold in days for each of {', '.join(SEVERITIES)}.",
            )
    return MappingProxyType(
        {
            severity: _bounded_int(
                obj[severity], path, f"{key}.{severity}", 0, MAX_DAYS, fix_extra=" (days)"
            )
            for severity in SEVERITIES
        }
    )


def read_config_file(path: Path) -> FileConfig:
    """Read and validate the config file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"Configuration file {path} does not exist. Ship config.json beside handler.py "
            "or point CONFIG_PATH at an existing file."
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"Configuration file {path} cannot be read ({type(err).__name__}: {err}). "
            "Check the path in CONFIG_PATH and the file's permissions and encoding (UTF-8)."
        ) from None
    return parse_config_file(text, path)


# --------------------------------------------------------------------------- environment


def _env(env: Mapping[str, str], name: str) -> str | None:
    """The variable's value stripped, or None when unset or blank."""
    value = env.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _env_error(name: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"Invalid environment variable {name}: {problem}. {fix}")


def _required_env(env: Mapping[str, str], name: str, fix: str) -> str:
    value = _env(env, name)
    if value is None:
        raise _env_error(name, "is not set", fix)
    return value


def _env_bool(env: Mapping[str, str], name: str) -> bool | None:
    value = _env(env, name)
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise _env_error(
        name, f"must be true or false, got {_shown(value)}", f"Set {name}=true or false."
    )


def _env_thread_count(env: Mapping[str, str]) -> int | None:
    value = _env(env, "THREAD_COUNT")
    if value is None:
        return None
    fix = f"Set THREAD_COUNT to a whole number from 1 to {MAX_THREAD_COUNT}, or unset it."
    if not re.fullmatch(r"[+-]?\d{1,6}", value):
        raise _env_error("THREAD_COUNT", f"must be an integer, got {_shown(value)}", fix)
    number = int(value)
    if not 1 <= number <= MAX_THREAD_COUNT:
        raise _env_error("THREAD_COUNT", f"must be from 1 to {MAX_THREAD_COUNT}, got {number}", fix)
    return number


def _env_log_level(env: Mapping[str, str]) -> str:
    value = _env(env, "LOG_LEVEL")
    if value is None:
        return DEFAULT_LOG_LEVEL
    if value.upper() not in LOG_LEVELS:
        raise _env_error(
            "LOG_LEVEL",
            f"must be one of {', '.join(LOG_LEVELS)}, got {_shown(value)}",
            "Set LOG_LEVEL=INFO (or DEBUG while investigating).",
        )
    return value.upper()


def _env_api_url(env: Mapping[str, str]) -> str:
    value = _env(env, "GITHUB_API_URL")
    if value is None:
        return DEFAULT_API_URL
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise _env_error(
            "GITHUB_API_URL",
            f"must be an http(s) base URL without query, got {_shown(value)}",
            "Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.",
        )
    return value.rstrip("/")


def _env_org(env: Mapping[str, str]) -> str:
    value = _required_env(
        env, "GITHUB_ORG", "Set GITHUB_ORG to the login of the organisation to audit."
    )
    return _checked_org(value, "environment variable GITHUB_ORG")


def _checked_org(value: str, where: str) -> str:
    if not _ORG_LOGIN.fullmatch(value):
        raise ConfigError(
            f"Invalid {where}: {_shown(value)} is not a GitHub organisation login "
            "(letters, digits and hyphens, not starting with a hyphen, at most 39 characters). "
            "Use the login as in https://github.com/<login>."
        )
    return value


def _env_client_id(env: Mapping[str, str]) -> str:
    value = _required_env(
        env,
        "GITHUB_APP_CLIENT_ID",
        "Set it to the GitHub App's client ID (Iv1...) or numeric App ID (App settings > General).",
    )
    if not _CLIENT_ID.fullmatch(value):
        raise _env_error(
            "GITHUB_APP_CLIENT_ID",
            "contains characters a client ID or App ID never has",
            "Copy the client ID (Iv1...) or numeric App ID from the App's settings page.",
        )
    return value


def _env_key_source(env: Mapping[str, str]) -> str:
    for name in KEY_SOURCES:
        if _env(env, name) is not None:
            return name
    raise ConfigError(
        "No GitHub App private key configured: none of the environment variables "
        f"{', '.join(KEY_SOURCES)} is set. Set one of them (PEM text, path to the PEM file, "
        "or the Secrets Manager secret name)."
    )


def _env_bucket(env: Mapping[str, str], write_to_s3: bool) -> str | None:
    value = _env(env, "S3_BUCKET")
    if not write_to_s3:
        return value
    if value is None:
        raise _env_error(
            "S3_BUCKET",
            "is not set but writing to S3 is enabled",
            "Set S3_BUCKET, or set WRITE_TO_S3=false to write to OUTPUT_DIR.",
        )
    if not _BUCKET.fullmatch(value) or ".." in value:
        raise _env_error(
            "S3_BUCKET",
            f"{_shown(value)} is not a valid S3 bucket name (3-63 lower-case letters, "
            "digits, dots, hyphens)",
            "Set S3_BUCKET to the bucket's name, not its ARN or URL.",
        )
    return value


def _env_digest_topic(env: Mapping[str, str]) -> str | None:
    value = _env(env, "DIGEST_TOPIC_ARN")
    if value is None:
        return None
    if not _SNS_TOPIC_ARN.fullmatch(value):
        raise _env_error(
            "DIGEST_TOPIC_ARN",
            f"{_shown(value)} is not an SNS topic ARN",
            "Deploy with --param=digestEmail=... (which sets it), or unset it.",
        )
    return value


def _env_output_dir(env: Mapping[str, str], *, needed: bool) -> Path:
    """OUTPUT_DIR; when files will go there it must be (or become) a directory."""
    path = Path(_env(env, "OUTPUT_DIR") or DEFAULT_OUTPUT_DIR)
    if needed and path.exists() and not path.is_dir():
        raise _env_error(
            "OUTPUT_DIR",
            f"{path} exists and is not a directory",
            "Point OUTPUT_DIR at a directory (it is created when missing).",
        )
    return path


# --------------------------------------------------------------------------- event


@dataclass(frozen=True)
class EventOverrides:
    """The keys of the invocation event the handler understands."""

    org: str | None = None
    write_to_s3: bool | None = None
    collections: tuple[str, ...] | None = None
    ignored_keys: tuple[str, ...] = ()
    output_prefix: str | None = None


def _event_error(key: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"Invalid invocation event: key '{key}' {problem}. {fix}")


def parse_event(event: object) -> EventOverrides:
    """The overrides in ``event``; unknown keys are only named (never their values)."""
    if event is None:
        return EventOverrides()
    if not isinstance(event, Mapping):
        raise ConfigError(
            f"Invalid invocation event: must be a JSON object, got {_type_name(event)}. "
            'Invoke with {} or e.g. {"collections": ["repositories"]}.'
        )
    ignored = tuple(sorted(str(key)[:64] for key in event if key not in EVENT_KEYS))
    org = event.get("org")
    if org is not None:
        if not isinstance(org, str):
            raise _event_error("org", f"must be a string, got {_type_name(org)}", "Give a login.")
        org = _checked_org(org, "invocation event key 'org'")
    write = event.get("write_to_s3")
    if write is not None and not isinstance(write, bool):
        raise _event_error(
            "write_to_s3", f"must be true or false, got {_type_name(write)}", "Use a JSON boolean."
        )
    return EventOverrides(
        org=org,
        write_to_s3=write,
        collections=_event_collections(event.get("collections")),
        ignored_keys=ignored,
        output_prefix=parse_output_prefix(event.get("output_prefix")),
    )


def _event_collections(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    fix = f"Give a non-empty list drawn from {', '.join(COLLECTIONS)}."
    if not isinstance(value, list) or not value:
        raise _event_error("collections", f"must be a non-empty list, got {_type_name(value)}", fix)
    for item in value:
        if item not in COLLECTIONS:
            raise _event_error("collections", f"names an unknown collection {_shown(item)}", fix)
    return tuple(name for name in COLLECTIONS if name in value)


def parse_output_prefix(value: object) -> str | None:
    """The event's ``output_prefix``, validated; None when absent.

    A prefix is a relative key and path: letters, digits and ``._-/``, ending
    in ``/``, without ``..``, a leading ``/`` or an empty segment, so that it
    can never reach outside the bucket's or OUTPUT_DIR's tree.
    """
    if value is None:
        return None
    key = "output_prefix"
    fix = 'Use letters, digits and . _ - / only, ending in "/", e.g. "orgs/acme/".'
    if not isinstance(value, str):
        raise _event_error(key, f"must be a string, got {_type_name(value)}", fix)
    shown = _shown(value)
    if ".." in value:
        raise _event_error(key, f'{shown} contains ".."', fix)
    if value.startswith("/"):
        raise _event_error(key, f'{shown} starts with "/"', fix)
    if not _PREFIX_CHARACTERS.fullmatch(value):
        problem = f"{shown} contains characters outside letters, digits and ._-/"
        raise _event_error(key, problem, fix)
    if not value.endswith("/"):
        raise _event_error(key, f'{shown} does not end with "/"', fix)
    if "//" in value:
        raise _event_error(key, f"{shown} has an empty path segment", fix)
    if len(value) > MAX_OUTPUT_PREFIX:
        raise _event_error(key, f"is longer than {MAX_OUTPUT_PREFIX} characters", fix)
    return value


# --------------------------------------------------------------------------- assembly


def load_config(event: object, env: Mapping[str, str]) -> RunConfig:
    """Validate event, environment and config file into a :class:`RunConfig`.

    Raises ConfigError (one clear message) on the first problem found. Makes no
    network call.
    """
    overrides = parse_event(event)
    log_level = _env_log_level(env)
    config_path = Path(_env(env, "CONFIG_PATH") or DEFAULT_CONFIG_PATH)
    file_config = read_config_file(config_path)
    org = overrides.org or _env_org(env)
    client_id = _env_client_id(env)
    key_source = _env_key_source(env)
    api_url = _env_api_url(env)
    thread_count = _env_thread_count(env) or file_config.thread_count
    write_to_s3 = _first_set(
        overrides.write_to_s3, _env_bool(env, "WRITE_TO_S3"), file_config.features["write_to_s3"]
    )
    bucket = _env_bucket(env, write_to_s3)
    output_dir = _env_output_dir(
        env, needed=not write_to_s3 or file_config.features["show_log_locally"]
    )
    collections = overrides.collections or tuple(
        name for name in COLLECTIONS if file_config.features[FEATURE_OF_COLLECTION[name]]
    )
    if not collections:
        raise ConfigError(
            f"Invalid configuration file {config_path}: every collection is disabled "
            "(features.repository_collection, features.dependabot_collection and "
            "features.secret_scanning_collection are all false). Enable at least one, "
            'or pass "collections" in the invocation event.'
        )
    return RunConfig(
        org=org,
        app_client_id=client_id,
        key_source=key_source,
        api_url=api_url,
        write_to_s3=write_to_s3,
        s3_bucket=bucket,
        output_dir=output_dir,
        config_path=config_path,
        log_level=log_level,
        show_log_locally=file_config.features["show_log_locally"],
        collections=collections,
        thread_count=thread_count,
        dependabot_thresholds=file_config.dependabot_thresholds,
        secret_scanning_threshold=file_config.secret_scanning_threshold,
        secret_scanning_generic_types=file_config.secret_scanning_generic_types,
        inactivity_threshold=file_config.inactivity_threshold,
        signed_commit_number=file_config.signed_commit_number,
        ignored_event_keys=overrides.ignored_keys,
        exceptions=file_config.exceptions,
        max_exception_days=file_config.max_exception_days,
        digest_topic_arn=_env_digest_topic(env),
        output_prefix=overrides.output_prefix or "",
    )


@dataclass(frozen=True)
class AppSettings:
    """What the steps that act as the App itself need (no organisation, no config file)."""

    app_client_id: str
    key_source: str
    api_url: str
    log_level: str


def load_app_settings(env: Mapping[str, str]) -> AppSettings:
    """The App's client ID, key source, API URL and log level; ConfigError when invalid."""
    return AppSettings(
        app_client_id=_env_client_id(env),
        key_source=_env_key_source(env),
        api_url=_env_api_url(env),
        log_level=_env_log_level(env),
    )


def _first_set(event_value: bool | None, env_value: bool | None, file_value: bool) -> bool:
    """The highest-precedence value that is set: event, then environment, then file."""
    if event_value is not None:
        return event_value
    if env_value is not None:
        return env_value
    return file_value
