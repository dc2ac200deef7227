# ruff: noqa: E501  (one-line table rows read better than wrapped ones)
"""Many organisations: the list step, the roll-up, and the local fan-out against the fake.

The local fan-out follows the state machine's three steps in this process; it
is not Step Functions (the template itself is tested in test_serverless.py).
"""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import handler
import organisations_handler as orgs
from datalogger.errors import ConfigError
from datalogger.organisations import (
    NOT_INSTALLED,
    Installation,
    OrgRun,
    installation_from,
    parse_orgs,
    rollup,
    select_organisations,
)
from github_client import GitHubClient, ManualClock
from github_client.errors import AppAuthError, HTTPStatusError
from tests.fake_github import FakeGitHub
from tests.fake_github.app import FakeGitHubApp, fan_out_organisations
from tests.fake_github.samples import small_org
from tests.runtime_support import (
    RUN_START,
    aws_env,
    boto_client,
    dir_snapshot,
    environ,
    handler_env,
    json_log_lines,
    moto_server,
    s3_objects,
    schema,
)

FILES = ("repositories.json", "dependabot.json", "secret_scanning.json", "run_summary.json")
# What each run builds from its datasets (under its prefix too).
FOLLOW_UPS = ("changes.json", "trend.json", "digest.md")
START = "2026-11-30T12:00:00Z"

# --------------------------------------------------------------------------- pure: the list step

ORG = "Organization"
SELECT_CASES = [
    # (id, installations, wanted, organisations, not_installed)
    (
        "all-orgs-sorted",
        [Installation("initech", ORG, False), Installation("acme", ORG, False)],
        ("*",),
        ("acme", "initech"),
        (),
    ),
    (
        "user-skipped",
        [Installation("acme", ORG, False), Installation("octo-person", "User", False)],
        ("*",),
        ("acme",),
        (),
    ),
    (
        "suspended-skipped",
        [Installation("acme", ORG, False), Installation("umbrella", ORG, True)],
        ("*",),
        ("acme",),
        (),
    ),
    (
        "enterprise-without-login-skipped",
        [Installation(None, "Enterprise", False), Installation("acme", ORG, False)],
        ("*",),
        ("acme",),
        (),
    ),
    ("type-unknown-skipped", [Installation("mystery", None, False)], ("*",), (), ()),
    (
        "intersected",
        [Installation("acme", ORG, False), Installation("globex", ORG, False)],
        ("globex",),
        ("globex",),
        (),
    ),
    (
        "case-insensitive-github-spelling",
        [Installation("Acme", ORG, False)],
        ("acme",),
        ("Acme",),
        (),
    ),
    (
        "named-but-absent",
        [Installation("acme", ORG, False)],
        ("acme", "ghost"),
        ("acme",),
        ("ghost",),
    ),
    (
        "named-but-suspended",
        [Installation("umbrella", ORG, True)],
        ("umbrella",),
        (),
        ("umbrella",),
    ),
    (
        "named-but-a-user",
        [Installation("octo-person", "User", False)],
        ("octo-person",),
        (),
        ("octo-person",),
    ),
    ("none-installed", [], ("*",), (), ()),
]


@pytest.mark.parametrize(
    ("installations", "wanted", "chosen", "missing"),
    [c[1:] for c in SELECT_CASES],
    ids=[c[0] for c in SELECT_CASES],
)
def test_select_organisations(
    installations: list[Installation],
    wanted: tuple[str, ...],
    chosen: tuple[str, ...],
    missing: tuple[str, ...],
) -> None:
    selection = select_organisations(installations, wanted)
    assert selection.organisations == chosen
    assert selection.not_installed == missing


ORGS_CASES = [
    ("star", "*", ("*",)),
    ("star-spaces", " * ", ("*",)),
    ("list", "acme,globex", ("acme", "globex")),
    ("spaces", " acme , globex ", ("acme", "globex")),
    ("duplicates-by-case", "acme,ACME,globex", ("acme", "globex")),
]


@pytest.mark.parametrize(
    ("value", "parsed"), [c[1:] for c in ORGS_CASES], ids=[c[0] for c in ORGS_CASES]
)
def test_parse_orgs(value: str, parsed: tuple[str, ...]) -> None:
    assert parse_orgs(value) == parsed


FIX = 'Give "*" for every organisation where the App is installed, or logins like "acme,globex".'
ORGS_REFUSED = [
    (
        "empty",
        "",
        'Invalid orgs parameter (GITHUB_ORGS): "" is not an organisation login. ' + FIX,
    ),
    (
        "empty-item",
        "acme,,globex",
        'Invalid orgs parameter (GITHUB_ORGS): "" is not an organisation login. ' + FIX,
    ),
    (
        "star-in-list",
        "acme,*",
        'Invalid orgs parameter (GITHUB_ORGS): "*" is not an organisation login. ' + FIX,
    ),
    (
        "path",
        "acme/x",
        'Invalid orgs parameter (GITHUB_ORGS): "acme/x" is not an organisation login. ' + FIX,
    ),
]


@pytest.mark.parametrize(
    ("value", "message"), [c[1:] for c in ORGS_REFUSED], ids=[c[0] for c in ORGS_REFUSED]
)
def test_parse_orgs_refuses(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_orgs(value)
    assert str(info.value) == message


INSTALLATION_CASES = [
    (
        "organisation",
        {"account": {"login": "acme", "type": "Organization"}, "suspended_at": None},
        Installation("acme", ORG, False),
    ),
    (
        "suspended",
        {
            "account": {"login": "acme", "type": "Organization"},
            "suspended_at": "2026-10-01T09:00:00Z",
        },
        Installation("acme", ORG, True),
    ),
    (
        "user",
        {"account": {"login": "octo", "type": "User"}, "target_type": "User"},
        Installation("octo", "User", False),
    ),
    (
        "enterprise-account",
        {"account": {"slug": "big", "name": "Big"}, "target_type": "Enterprise"},
        Installation(None, "Enterprise", False),
    ),
    (
        "account-null",
        {"account": None, "target_type": "Organization"},
        Installation(None, ORG, False),
    ),
    ("not-an-object", "junk", Installation(None, None, False)),
]


@pytest.mark.parametrize(
    ("item", "fact"), [c[1:] for c in INSTALLATION_CASES], ids=[c[0] for c in INSTALLATION_CASES]
)
def test_installation_facts(item: Any, fact: Installation) -> None:
    assert installation_from(item) == fact


# --------------------------------------------------------------------------- pure: the roll-up


def summary(org: str, status: str = "succeeded", **collections: Any) -> dict[str, Any]:
    base = {
        name: {"status": "succeeded", "records": 2, "seconds": 1.0, "error": None}
        for name in ("repositories", "dependabot", "secret_scanning")
    }
    base.update(collections)
    return {
        "schema_version": 1,
        "org": org,
        "started_at": START,
        "finished_at": START,
        "status": status,
        "collections": base,
    }


def test_rollup_is_exact_and_sorted() -> None:
    failed = {
        "status": "failed",
        "records": None,
        "seconds": 0.5,
        "error": "Dependabot alerts are disabled",
    }
    skipped = {"status": "skipped", "records": None, "seconds": 0.0, "error": None}
    runs = [
        OrgRun(
            "zeta",
            summary(
                "zeta",
                repositories={
                    "status": "succeeded",
                    "records": 2,
                    "seconds": 1.0,
                    "error": None,
                    "non_compliant": 1,
                },
                secret_scanning=skipped,
            ),
        ),
        OrgRun(
            "Beta",
            summary("Beta", "partial", dependabot=failed),
            error="RunFailed: 1 collection(s) failed",
        ),
        OrgRun("gone", None, error="AppNotInstalledError: not installed"),
    ]
    document = rollup(runs, ["ghost"], datetime(2026, 11, 30, 12, 30, 5, 999, tzinfo=UTC))
    assert document == {
        "schema_version": 1,
        "generated_at": "2026-11-30T12:30:05Z",
        "organisations": [
            {
                "org": "Beta",
                "status": "partial",
                "prefix": "orgs/Beta/",
                "started_at": START,
                "records": {"repositories": 2, "dependabot": None, "secret_scanning": 2},
                "non_compliant": None,
                "error": "dependabot: Dependabot alerts are disabled",
            },
            {
                "org": "ghost",
                "status": "failed",
                "prefix": "orgs/ghost/",
                "started_at": None,
                "records": {"repositories": None, "dependabot": None, "secret_scanning": None},
                "non_compliant": None,
                "error": NOT_INSTALLED,
            },
            {
                "org": "gone",
                "status": "failed",
                "prefix": "orgs/gone/",
                "started_at": None,
                "records": {"repositories": None, "dependabot": None, "secret_scanning": None},
                "non_compliant": None,
                "error": "AppNotInstalledError: not installed",
            },
            {
                "org": "zeta",
                "status": "succeeded",
                "prefix": "orgs/zeta/",
                "started_at": START,
                "records": {"repositories": 2, "dependabot": 2, "secret_scanning": None},
                "non_compliant": 1,
                "error": None,
            },
        ],
    }
    jsonschema.Draft202012Validator(schema("organisations.schema.json")).validate(document)


@pytest.mark.parametrize(
    ("failure", "text"),
    [
        (
            {
                "Error": "RunFailed",
                "Cause": json.dumps(
                    {
                        "errorMessage": "1 collection(s) failed",
                        "errorType": "RunFailed",
                        "stackTrace": ["x"],
                    }
                ),
            },
            "RunFailed: 1 collection(s) failed",
        ),
        ({"Error": "States.Timeout", "Cause": ""}, "States.Timeout"),
        (
            {"Error": "Lambda.Unknown", "Cause": "The cause could not be determined"},
            "Lambda.Unknown: The cause could not be determined",
        ),
        ({"Error": "X", "Cause": "token ghs_abcdefghijklmnop1234 leaked"}, "X: token *** leaked"),
        (None, None),
    ],
    ids=["lambda-error-json", "no-cause", "plain-cause", "redacted", "no-failure"],
)
def test_failure_text(failure: Any, text: str | None) -> None:
    assert orgs._failure_text(failure) == text


# --------------------------------------------------------------------------- the fake's /app/installations


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=RUN_START.timestamp())


@pytest.fixture
def app_fake(clock: ManualClock, app_private_key: str) -> Iterator[FakeGitHubApp]:
    fake = FakeGitHubApp(
        fan_out_organisations(),
        users=("octo-person",),
        suspended=("umbrella",),
        clock=clock,
        private_key_pem=app_private_key,
    )
    with fake:
        yield fake


def test_fake_lists_installations_paged_to_the_app_only(
    app_fake: FakeGitHubApp, clock: ManualClock, app_private_key: str
) -> None:
    client = GitHubClient("", "Iv1.testapp", app_private_key, api_url=app_fake.url, clock=clock)
    items = list(client.paginate_as_app("/app/installations", {"per_page": 2}))
    assert [(i["account"]["login"], i["account"]["type"], i["suspended_at"]) for i in items] == [
        ("acme", "Organization", None),
        ("globex", "Organization", None),
        ("initech", "Organization", None),
        ("octo-person", "User", None),
        ("umbrella", "Organization", "2026-10-01T09:00:00Z"),
    ]
    pages = [
        target for method, target, _ in app_fake.requests if target.startswith("/app/installations")
    ]
    assert len(pages) == 3  # 5 installations, 2 per page, followed by Link rel="next"
    assert all(item["target_type"] == item["account"]["type"] for item in items)
    assert client.stats().rest_requests == 3


def test_fake_refuses_the_list_without_the_app_jwt(
    app_fake: FakeGitHubApp, clock: ManualClock
) -> None:
    client = GitHubClient("", "Iv1.someoneelse", _other_key(), api_url=app_fake.url, clock=clock)
    with pytest.raises(AppAuthError) as info:
        list(client.paginate_as_app("/app/installations"))
    assert info.value.status == 401
    assert "A JSON web token could not be decoded" in str(info.value)


def _other_key() -> str:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def test_a_token_serves_only_its_own_installation(
    app_fake: FakeGitHubApp, clock: ManualClock, app_private_key: str
) -> None:
    client = GitHubClient("acme", "Iv1.testapp", app_private_key, api_url=app_fake.url, clock=clock)
    client.authenticate()
    assert [r["name"] for r in client.paginate("/orgs/acme/repos")]
    assert app_fake.fakes["acme"].stats.total >= 3
    assert app_fake.fakes["globex"].stats.total == 0
    with pytest.raises(HTTPStatusError) as info:  # GitHub: 401 Bad credentials
        list(client.paginate("/orgs/globex/repos"))
    assert info.value.status == 401


# --------------------------------------------------------------------------- the list step


def env_for(
    tmp_path: Path, fake_url: str, key: str, orgs_param: str = "*", **extra: str
) -> dict[str, str]:
    env = handler_env(tmp_path, fake_url, key, GITHUB_ORGS=orgs_param, **extra)
    del env["GITHUB_ORG"]  # each organisation comes from the Map item
    return env


def test_list_step_gives_the_map_items(
    tmp_path: Path, app_fake: FakeGitHubApp, clock: ManualClock, app_private_key: str
) -> None:
    services = orgs.Services(
        env=env_for(tmp_path, app_fake.url, app_private_key), clock=clock, log_stream=io.StringIO()
    )
    assert orgs.list_step(services) == {
        "organisations": [
            {"org": "acme", "output_prefix": "orgs/acme/"},
            {"org": "globex", "output_prefix": "orgs/globex/"},
            {"org": "initech", "output_prefix": "orgs/initech/"},
        ],
        "not_installed": [],
    }
    assert [t for _, t, _ in app_fake.requests] == ["/app/installations?per_page=100"]


def test_list_step_intersects_with_the_orgs_parameter(
    tmp_path: Path, app_fake: FakeGitHubApp, clock: ManualClock, app_private_key: str
) -> None:
    env = env_for(tmp_path, app_fake.url, app_private_key, "initech,octo-person,umbrella,acme")
    stream = io.StringIO()
    assert orgs.list_step(orgs.Services(env=env, clock=clock, log_stream=stream)) == {
        "organisations": [
            {"org": "acme", "output_prefix": "orgs/acme/"},
            {"org": "initech", "output_prefix": "orgs/initech/"},
        ],
        "not_installed": ["octo-person", "umbrella"],
    }
    listed = [line for line in json_log_lines(stream) if line["message"] == "organisations listed"]
    assert listed[0]["installations"] == 5


def test_list_step_refuses_a_bad_orgs_parameter_before_any_github_call(
    tmp_path: Path, app_fake: FakeGitHubApp, clock: ManualClock, app_private_key: str
) -> None:
    env = env_for(tmp_path, app_fake.url, app_private_key, "acme,../x")
    with pytest.raises(ConfigError, match=r'"\.\./x" is not an organisation login'):
        orgs.list_step(orgs.Services(env=env, clock=clock, log_stream=io.StringIO()))
    assert app_fake.requests == []


# --------------------------------------------------------------------------- the local fan-out


def standalone_datasets(
    tmp_path: Path, login: str, fake_github: Callable[..., FakeGitHub], clock: ManualClock, key: str
) -> dict[str, bytes]:
    """What a plain one-organisation run writes for the same organisation."""
    org = small_org(login)
    fake = fake_github(org, clock=clock)
    (tmp_path / f"alone-{login}").mkdir()
    env = handler_env(tmp_path / f"alone-{login}", fake.url, key, GITHUB_ORG=login)
    handler.run({}, None, handler.Services(env=env, clock=clock, log_stream=io.StringIO()))
    return dir_snapshot(Path(env["OUTPUT_DIR"]))


EXPECTED_ORGANISATIONS = {
    "schema_version": 1,
    "generated_at": START,
    "organisations": [
        {
            "org": "acme",
            "status": "succeeded",
            "prefix": "orgs/acme/",
            "started_at": START,
            "records": {"repositories": 3, "dependabot": 2, "secret_scanning": 2},
            "non_compliant": 3,
            "error": None,
        },
        {
            "org": "globex",
            "status": "partial",
            "prefix": "orgs/globex/",
            "started_at": START,
            "records": {"repositories": 3, "dependabot": None, "secret_scanning": 2},
            "non_compliant": 3,
            "error": "dependabot: GET /orgs/globex/dependabot/alerts answered HTTP 403: Dependabot alerts is off for the organisation or the GitHub App lacks the 'Dependabot alerts (read)' permission (GitHub said: Dependabot alerts are disabled for this organization.). No dataset was written: an empty list would claim there are no alerts.",
        },
        {
            "org": "initech",
            "status": "succeeded",
            "prefix": "orgs/initech/",
            "started_at": START,
            "records": {"repositories": 3, "dependabot": 2, "secret_scanning": 2},
            "non_compliant": 3,
            "error": None,
        },
    ],
}


def test_local_fan_out_three_organisations_one_failing(
    tmp_path: Path,
    app_fake: FakeGitHubApp,
    clock: ManualClock,
    app_private_key: str,
    fake_github: Callable[..., FakeGitHub],
) -> None:
    env = env_for(tmp_path, app_fake.url, app_private_key)
    stream = io.StringIO()

    with pytest.raises(orgs.OrganisationsFailed) as info:
        orgs.fan_out(orgs.Services(env=env, clock=clock, log_stream=stream))

    assert info.value.failed == ["globex"]
    written = dir_snapshot(tmp_path / "output")
    assert set(written) == {
        "organisations.json",
        *(f"orgs/{login}/{name}" for login in ("acme", "initech") for name in FILES),
        *(f"orgs/globex/{name}" for name in FILES if name != "dependabot.json"),
        *(f"orgs/{login}/{name}" for login in ("acme", "globex", "initech") for name in FOLLOW_UPS),
    }
    document = json.loads(written["organisations.json"])
    for entry in document["organisations"]:  # the literal below, cross-checked with the data
        records = json.loads(written[f"orgs/{entry['org']}/repositories.json"])
        assert entry["non_compliant"] == sum(1 for record in records if record["failing"])
    assert document == EXPECTED_ORGANISATIONS
    assert info.value.document == document
    jsonschema.Draft202012Validator(schema("organisations.schema.json")).validate(document)
    for login in ("acme", "initech"):  # byte for byte what a one-organisation run writes
        alone = standalone_datasets(tmp_path, login, fake_github, clock, app_private_key)
        # the summary too: each installation has its own rate limit, as a lone run's
        for name in FILES:
            assert written[f"orgs/{login}/{name}"] == alone[name], (login, name)
    globex_alone = standalone_datasets(tmp_path, "globex", fake_github, clock, app_private_key)
    assert written["orgs/globex/repositories.json"] == globex_alone["repositories.json"]
    logs = json_log_lines(stream)
    assert [line["org"] for line in logs if line["message"] == "run finished"] == [
        "acme",
        "globex",
        "initech",
    ]
    assert app_fake.fakes["globex"].stats.by_route.get("dependabot_alerts", 0) >= 1


def test_local_fan_out_all_succeed(
    tmp_path: Path, clock: ManualClock, app_private_key: str
) -> None:
    fake = FakeGitHubApp(
        fan_out_organisations(dependabot_off=None),
        users=("octo-person",),
        clock=clock,
        private_key_pem=app_private_key,
    )
    with fake:
        env = env_for(tmp_path, fake.url, app_private_key, "acme,initech")
        result = orgs.fan_out(orgs.Services(env=env, clock=clock, log_stream=io.StringIO()))
    assert result == {"organisations": 2, "failed": []}
    assert fake.fakes["globex"].stats.total == 0
    document = json.loads((tmp_path / "output" / "organisations.json").read_bytes())
    assert [(e["org"], e["status"]) for e in document["organisations"]] == [
        ("acme", "succeeded"),
        ("initech", "succeeded"),
    ]


def test_stale_summary_is_not_taken_for_this_run(tmp_path: Path, app_private_key: str) -> None:
    """A run that failed before writing its summary must not show last week's as current."""
    old = tmp_path / "output" / "orgs" / "acme" / "run_summary.json"
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps(summary("acme") | {"started_at": "2026-11-23T12:00:00Z"}))
    event = {
        "runs": [
            {
                "org": "acme",
                "output_prefix": "orgs/acme/",
                "failure": {
                    "Error": "AppNotInstalledError",
                    "Cause": json.dumps(
                        {
                            "errorType": "AppNotInstalledError",
                            "errorMessage": "The GitHub App is not installed on organisation acme",
                        }
                    ),
                },
            }
        ],
        "not_installed": [],
        "execution_started_at": "2026-11-30T12:00:00.123Z",
    }
    env = {"OUTPUT_DIR": str(tmp_path / "output"), "WRITE_TO_S3": "false"}
    result = orgs.roll_up_step(
        event,
        orgs.Services(
            env=env, clock=ManualClock(RUN_START.timestamp() + 60), log_stream=io.StringIO()
        ),
    )
    assert result == {"organisations": 1, "failed": ["acme"]}
    entry = json.loads((tmp_path / "output" / "organisations.json").read_bytes())["organisations"][
        0
    ]
    assert entry == {
        "org": "acme",
        "status": "failed",
        "prefix": "orgs/acme/",
        "started_at": None,
        "records": {"repositories": None, "dependabot": None, "secret_scanning": None},
        "non_compliant": None,
        "error": "AppNotInstalledError: The GitHub App is not installed on organisation acme",
    }


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def test_local_fan_out_to_s3(
    tmp_path: Path,
    app_fake: FakeGitHubApp,
    clock: ManualClock,
    app_private_key: str,
    moto_endpoint: str,
) -> None:
    s3 = boto_client("s3", moto_endpoint)
    s3.create_bucket(Bucket="policy-orgs")
    env = env_for(
        tmp_path, app_fake.url, app_private_key, WRITE_TO_S3="true", S3_BUCKET="policy-orgs"
    )
    with environ(aws_env(moto_endpoint)), pytest.raises(orgs.OrganisationsFailed):
        orgs.fan_out(orgs.Services(env=env, clock=clock, log_stream=io.StringIO()))
    objects = s3_objects(s3, "policy-orgs")
    assert json.loads(objects["organisations.json"]) == EXPECTED_ORGANISATIONS
    others = {key for key in objects if key != "organisations.json"}
    assert all(key.startswith(("orgs/acme/", "orgs/globex/", "orgs/initech/")) for key in others)
    assert "orgs/acme/history/2026-11-30/repositories.json" in objects
    assert not any(key.endswith("history/2026-11-30/organisations.json") for key in objects)
    assert not (tmp_path / "output").exists()


# --------------------------------------------------------------------------- make fan-out


def _load_fan_out_script() -> Any:
    path = Path(__file__).resolve().parents[1] / "scripts" / "fan_out.py"
    spec = importlib.util.spec_from_file_location("fan_out_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("dependabot_off", "status"), [([], 0), (["--dependabot-off", "initech"], 1)]
)
def test_make_fan_out_runs_three_organisations_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dependabot_off: list[str], status: int
) -> None:
    script = _load_fan_out_script()
    assert script.main(["--output-dir", str(tmp_path), *dependabot_off]) == status
    printed = capsys.readouterr().out
    document = json.loads((tmp_path / "organisations.json").read_bytes())
    assert [e["org"] for e in document["organisations"]] == ["acme", "globex", "initech"]
    assert "octo-person" not in printed
    expected_initech = "partial" if status else "succeeded"
    assert f"initech    {expected_initech}" in printed
    assert sorted(p.name for p in (tmp_path / "orgs").iterdir()) == ["acme", "globex", "initech"]
