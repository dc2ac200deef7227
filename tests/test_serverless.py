"""The deployment as AWS would receive it: `serverless package` and `invoke local`.

Runs the project's pinned Serverless CLI (node_modules/.bin/serverless, osls)
on a copy of the repository, then checks the generated CloudFormation
template, lints it with cfn-lint, opens the zip Lambda would run, and finally
runs the handler through `serverless invoke local` against the fake GitHub.
No AWS account or credentials are involved.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from datalogger.outputs import READ_BACK_FILES
from tests.contract import checklist_names
from tests.fake_github import FakeGitHub, Faults, sample_org

pytestmark = pytest.mark.serverless

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVERLESS = REPO_ROOT / "node_modules" / ".bin" / "serverless"
TEMPLATE = "cloudformation-template-update-stack.json"
ARTIFACT = "github-policy-data-logger.zip"
SERVICE = "github-policy-data-logger"
CHECKS = checklist_names()
# Not copied into the service copy: tool state and build output.
_NOT_COPIED = (
    ".git",
    ".venv",
    "venv",
    "node_modules",
    ".serverless",
    ".requirements-cache",
    "output",
    "site",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "__pycache__",
    "*.pem",
    "*.key",
)
# Files that must never reach the artifact, planted in the copy.
_DECOYS = (
    "decoy-app.private-key.pem",
    "github_client/decoy.pem",
    "github_client/__pycache__/stale.cpython-311.pyc",
    "output/demo/repositories.json",
)
ELF_MAGIC = b"\x7fELF"
EM_AARCH64 = 183


@dataclass(frozen=True)
class Packaged:
    """One `serverless package` run: the template and the zip Lambda would get."""

    template_path: Path
    template: dict[str, Any]
    artifact: Path

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            name: resource
            for name, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def only_resource(self, resource_type: str) -> dict[str, Any]:
        resources = self.resources_of_type(resource_type)
        assert len(resources) == 1, f"expected one {resource_type}, got {sorted(resources)}"
        return next(iter(resources.values()))

    def data_bucket(self) -> dict[str, Any]:
        buckets = self.resources_of_type("AWS::S3::Bucket")
        return buckets["DataBucket"]

    def function_properties(self) -> dict[str, Any]:
        return self.only_resource("AWS::Lambda::Function")["Properties"]  # type: ignore[no-any-return]

    def role_statements(self) -> list[dict[str, Any]]:
        role = self.only_resource("AWS::IAM::Role")
        return [
            statement
            for policy in role["Properties"]["Policies"]
            for statement in policy["PolicyDocument"]["Statement"]
        ]


def serverless_cli() -> Path:
    """The project's pinned Serverless CLI; its absence is a broken setup, not a skip."""
    if not SERVERLESS.exists():
        pytest.fail(
            f"{SERVERLESS} is missing: install the pinned CLI with `npm ci` (or `make setup`)"
        )
    return SERVERLESS


def python_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for the CLI: this interpreter as `python3`, no AWS lookups."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        AWS_EC2_METADATA_DISABLED="true",
        SLS_TELEMETRY_DISABLED="1",
        SLS_NOTIFICATIONS_MODE="off",
    )
    if sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    env.update(extra or {})
    return env


def run_serverless(
    service_dir: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed executable, arguments from this file
        [str(serverless_cli()), *args],
        cwd=service_dir,
        env=python_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copy_service(destination: Path) -> Path:
    """The working tree as a developer deploys from it, plus decoys that must not ship.

    Tool state is left out (and keys, so that none is copied around); the
    decoys stand in for the stray files a working tree collects.
    """
    shutil.copytree(REPO_ROOT, destination, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    (destination / "node_modules").symlink_to(REPO_ROOT / "node_modules")
    # Share the wheel cache with the repository: later runs need no download.
    (REPO_ROOT / ".requirements-cache").mkdir(exist_ok=True)
    (destination / ".requirements-cache").symlink_to(REPO_ROOT / ".requirements-cache")
    for decoy in _DECOYS:
        path = destination / decoy
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("must not be packaged\n")
    return destination


def package(service_dir: Path, out: Path, *args: str) -> Packaged:
    """`serverless package` into ``out`` (each run empties its package directory)."""
    result = run_serverless(service_dir, "package", "--package", str(out), *args)
    assert result.returncode == 0, f"serverless package failed:\n{result.stdout}\n{result.stderr}"
    template_path = out / TEMPLATE
    return Packaged(template_path, json.loads(template_path.read_text()), out / ARTIFACT)


@pytest.fixture(scope="session")
def service_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_service(tmp_path_factory.mktemp("service") / "repo")


@pytest.fixture(scope="session")
def packaged(service_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    """The package with no params at all, as CI builds it."""
    return package(service_dir, tmp_path_factory.mktemp("package"))


@pytest.fixture(scope="session")
def packaged_prod(service_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    """A production package with every deployment param given (memory from the prod stage)."""
    return package(
        service_dir,
        tmp_path_factory.mktemp("prod-package"),
        "--stage",
        "prod",
        "--param=org=acme",
        "--param=appClientId=Iv1.0123456789abcdef",
        "--param=bucketName=acme-policy-data-123456789012",
        "--param=secretName=acme/github-app-key",
        "--param=scheduleEnabled=false",
        "--param=alarmEmail=platform-team@acme.example",
        "--param=githubApiUrl=https://ghe.example.com/api/v3",
        "--param=digestEmail=security-team@acme.example",
    )


# --- the template ------------------------------------------------------------


def test_function_is_an_arm64_python_lambda_with_the_full_15_minutes(packaged: Packaged) -> None:
    function = packaged.function_properties()
    assert function["Handler"] == "handler.handler"
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Timeout"] == 900
    assert function["MemorySize"] == 256


def test_environment_is_plain_strings_so_invoke_local_needs_no_aws(packaged: Packaged) -> None:
    variables = packaged.function_properties()["Environment"]["Variables"]
    assert variables == {
        "AWS_SECRET_NAME": f"{SERVICE}/dev/github-app-private-key",
        "S3_BUCKET": f"{SERVICE}-dev-eu-west-1",
    }


def test_params_set_environment_memory_schedule_and_iam(packaged_prod: Packaged) -> None:
    function = packaged_prod.function_properties()
    assert function["MemorySize"] == 512
    assert function["Environment"]["Variables"] == {
        "GITHUB_ORG": "acme",
        "GITHUB_APP_CLIENT_ID": "Iv1.0123456789abcdef",
        "AWS_SECRET_NAME": "acme/github-app-key",
        "S3_BUCKET": "acme-policy-data-123456789012",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3",
        "DIGEST_TOPIC_ARN": {
            "Fn::If": ["HasDigestEmail", {"Ref": "DigestTopic"}, {"Ref": "AWS::NoValue"}]
        },
    }
    rule = packaged_prod.only_resource("AWS::Events::Rule")
    assert rule["Properties"]["State"] == "DISABLED"
    resources = json.dumps(packaged_prod.role_statements())
    assert "arn:aws:s3:::acme-policy-data-123456789012/*" in resources
    assert "acme/github-app-key-??????" in resources
    assert packaged_prod.data_bucket()["Properties"]["BucketName"] == (
        "acme-policy-data-123456789012"
    )


def test_weekly_schedule_sends_an_empty_event(packaged: Packaged) -> None:
    rule = packaged.only_resource("AWS::Events::Rule")["Properties"]
    assert rule["ScheduleExpression"] == "cron(0 3 ? * SUN *)"
    assert rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert json.loads(target["Input"]) == {}
    assert target["Arn"] == {"Fn::GetAtt": ["DataLoggerLambdaFunction", "Arn"]}


def test_a_failed_run_is_not_retried(packaged: Packaged) -> None:
    config = packaged.only_resource("AWS::Lambda::EventInvokeConfig")["Properties"]
    assert config["MaximumRetryAttempts"] == 0


def test_logs_are_kept_90_days(packaged: Packaged) -> None:
    log_group = packaged.only_resource("AWS::Logs::LogGroup")["Properties"]
    assert log_group["RetentionInDays"] == 90


def _resources(statement: Mapping[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def _actions(statement: Mapping[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_role_may_only_put_objects_in_the_bucket_and_read_the_one_secret(
    packaged: Packaged,
) -> None:
    statements = packaged.role_statements()
    assert all(statement["Effect"] == "Allow" for statement in statements)
    for statement in statements:
        for resource in _resources(statement):
            assert resource != "*", f"unscoped resource in {statement}"
        for action in _actions(statement):
            assert "*" not in action, f"wildcard action in {statement}"

    by_service: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        for action in _actions(statement):
            by_service.setdefault(action.split(":")[0], []).append(statement)
    assert set(by_service) == {"logs", "s3", "secretsmanager"}

    put, get = by_service["s3"]
    assert _actions(put) == ["s3:PutObject"]
    assert _resources(put) == [f"arn:aws:s3:::{SERVICE}-dev-eu-west-1/*"]
    # Reading grows by exactly the latest copies the run reads before replacing them.
    assert _actions(get) == ["s3:GetObject"]
    assert _resources(get) == [
        f"arn:aws:s3:::{SERVICE}-dev-eu-west-1/{key}"
        for key in ("repositories.json", "dependabot.json", "secret_scanning.json", "trend.json")
    ]

    (secrets,) = by_service["secretsmanager"]
    assert _actions(secrets) == ["secretsmanager:GetSecretValue"]
    (secret_arn,) = _resources(secrets)
    separator, parts = secret_arn["Fn::Join"]
    assert separator == ":"
    assert parts[:3] == ["arn", {"Ref": "AWS::Partition"}, "secretsmanager"]
    assert parts[5:] == ["secret", f"{SERVICE}/dev/github-app-private-key-??????"]
    assert "*" not in json.dumps(secret_arn)

    for statement in by_service["logs"]:  # the framework's own, on this function's group
        for resource in _resources(statement):
            assert f"log-group:/aws/lambda/{SERVICE}-dev" in resource["Fn::Sub"]


def test_bucket_is_private_encrypted_versioned_and_expires_history(packaged: Packaged) -> None:
    bucket = packaged.data_bucket()
    assert bucket["DeletionPolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["BucketName"] == f"{SERVICE}-dev-eu-west-1"
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}

    rules = properties["LifecycleConfiguration"]["Rules"]
    assert all(rule["Status"] == "Enabled" for rule in rules)
    history = [rule for rule in rules if rule.get("Prefix") == "history/"]
    assert len(history) == 1
    assert 365 <= history[0]["ExpirationInDays"] <= 800
    assert any("NoncurrentVersionExpiration" in rule for rule in rules)


def test_deployment_bucket_is_private_too(packaged: Packaged) -> None:
    bucket = packaged.resources_of_type("AWS::S3::Bucket")["ServerlessDeploymentBucket"]
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


def test_bucket_policy_denies_every_request_without_tls(packaged: Packaged) -> None:
    policies = packaged.resources_of_type("AWS::S3::BucketPolicy")
    policy = policies["DataBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "DataBucket"}
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = f"arn:aws:s3:::{SERVICE}-dev-eu-west-1"
    assert sorted(statement["Resource"]) == [bucket_arn, f"{bucket_arn}/*"]


def cfn_lint(template: Path) -> tuple[int, str]:
    """The venv's cfn-lint on ``template``: its exit status and everything it printed."""
    result = subprocess.run(  # noqa: S603 - the venv's cfn-lint on our template
        [str(Path(sys.executable).parent / "cfn-lint"), str(template)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def test_template_passes_cfn_lint(packaged: Packaged) -> None:
    assert cfn_lint(packaged.template_path) == (0, "")


# --- the artifact ------------------------------------------------------------


def _artifact_names(packaged: Packaged) -> list[str]:
    with zipfile.ZipFile(packaged.artifact) as archive:
        return archive.namelist()


def test_artifact_holds_the_runtime_code_and_its_dependencies(
    packaged: Packaged, service_dir: Path
) -> None:
    names = set(_artifact_names(packaged))
    assert {"handler.py", "config.json"} <= names
    for package_name in ("github_client", "collectors", "policy", "datalogger"):
        sources = {
            path.relative_to(service_dir).as_posix()
            for path in (service_dir / package_name).rglob("*.py")
        }
        assert f"{package_name}/__init__.py" in sources
        assert sources <= names, f"missing from the zip: {sorted(sources - names)}"
    for dependency in ("jwt/__init__.py", "urllib3/__init__.py", "cryptography/__init__.py"):
        assert dependency in names


def test_artifact_ships_nothing_else(packaged: Packaged) -> None:
    names = _artifact_names(packaged)
    top_level = {name.split("/")[0] for name in names}
    for forbidden in ("tests", "docs", "bench", "scripts", "node_modules", ".venv", "output"):
        assert forbidden not in top_level
    for forbidden in ("boto3", "botocore", "s3transfer"):  # the Lambda runtime provides them
        assert forbidden not in top_level
    assert not [name for name in names if name.endswith((".pyc", ".pyo", ".pem", ".key"))]
    assert not [name for name in names if "__pycache__" in name]
    project_files = {"serverless.yml", "package.json", "Makefile", "pyproject.toml", "README.md"}
    assert not project_files & set(names)


def _elf_machine(header: bytes) -> int:
    """e_machine of a 64-bit little-endian ELF header."""
    assert header[:4] == ELF_MAGIC, "not an ELF file"
    assert header[4] == 2, "not a 64-bit ELF file"
    assert header[5] == 1, "not little-endian"
    return int.from_bytes(header[18:20], "little")


def test_native_code_is_built_for_arm64_linux(packaged: Packaged) -> None:
    with zipfile.ZipFile(packaged.artifact) as archive:
        shared_objects = [name for name in archive.namelist() if name.endswith(".so")]
        assert any(name.startswith("cryptography/hazmat/bindings/_rust") for name in shared_objects)
        for name in shared_objects:
            with archive.open(name) as handle:
                assert _elf_machine(handle.read(20)) == EM_AARCH64, name
    assert not [name for name in shared_objects if "x86_64" in name]


# --- invoke local ------------------------------------------------------------


@pytest.fixture
def sample_fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(sample_org.build(), faults=Faults()) as fake:
        yield fake


def invoke_local(
    service_dir: Path, fake: FakeGitHub, tmp_path: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    key_file = tmp_path / "app-key.pem"
    key_file.write_text(fake.private_key_pem)
    key_file.chmod(0o600)
    output_dir = tmp_path / "output"
    result = run_serverless(
        service_dir,
        "invoke",
        "local",
        "--function",
        "dataLogger",
        "--data",
        "{}",
        env={
            "GITHUB_ORG": sample_org.ORG,
            "GITHUB_APP_CLIENT_ID": "Iv1.testapp",
            "GITHUB_API_URL": fake.url,
            "GITHUB_APP_PRIVATE_KEY_FILE": str(key_file),
            "WRITE_TO_S3": "false",
            "OUTPUT_DIR": str(output_dir),
            **env,
        },
    )
    return result, output_dir


def test_invoke_local_writes_the_three_datasets_and_the_summary(
    service_dir: Path, sample_fake: FakeGitHub, tmp_path: Path
) -> None:
    result, output_dir = invoke_local(service_dir, sample_fake, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    summary = json.loads((output_dir / "run_summary.json").read_text())
    assert summary["status"] == "succeeded"
    assert summary["org"] == sample_org.ORG
    assert {name: c["status"] for name, c in summary["collections"].items()} == {
        "repositories": "succeeded",
        "dependabot": "succeeded",
        "secret_scanning": "succeeded",
    }

    org = sample_org.build()
    repositories = json.loads((output_dir / "repositories.json").read_text())
    assert sorted(r["name"] for r in repositories) == sorted(
        repo.name for repo in org.repositories if not repo.archived
    )
    # The sample organisation breaks every rule somewhere, and is not all bad.
    for check in CHECKS:
        failing = [r["name"] for r in repositories if r["checklist"][check]]
        assert 0 < len(failing) < len(repositories), check
    by_name = {r["name"]: r for r in repositories}
    for name, expected in sample_org.EXPECTED_FAILED_CHECKS.items():
        checklist = by_name[name]["checklist"]
        assert {check for check in CHECKS if checklist[check]} == expected, name

    dependabot = json.loads((output_dir / "dependabot.json").read_text())
    secret_scanning = json.loads((output_dir / "secret_scanning.json").read_text())
    assert summary["collections"]["dependabot"]["records"] == len(dependabot) > 0
    assert summary["collections"]["secret_scanning"]["records"] == len(secret_scanning) > 0
    severities = [alert["severity"] for alert in dependabot]
    assert {s: severities.count(s) for s in set(severities)} == (
        sample_org.EXPECTED_DEPENDABOT_PAST_THRESHOLD
    )
    assert {alert["repository"] for alert in secret_scanning} == (
        sample_org.EXPECTED_SECRET_SCANNING_PAST_THRESHOLD  # flash-site is archived
    )
    for alert in org.secret_scanning_alerts:
        assert alert.secret not in result.stdout + result.stderr
        assert alert.secret not in (output_dir / "secret_scanning.json").read_text()


def test_invoke_local_exits_non_zero_when_a_collection_fails(
    service_dir: Path, sample_fake: FakeGitHub, tmp_path: Path
) -> None:
    sample_fake.faults.failing_routes = {"dependabot_alerts": 403}  # App lacks the permission
    result, output_dir = invoke_local(service_dir, sample_fake, tmp_path)
    assert result.returncode != 0
    assert not (output_dir / "dependabot.json").exists()
    assert (output_dir / "repositories.json").exists()
    summary = json.loads((output_dir / "run_summary.json").read_text())
    assert summary["status"] == "partial"
    assert summary["collections"]["dependabot"]["status"] == "failed"
    assert "403" in summary["collections"]["dependabot"]["error"]
    assert summary["collections"]["repositories"]["status"] == "succeeded"


# --- failure alarm -------------------------------------------------------------


def test_the_run_reads_exactly_the_keys_the_role_may_get(
    packaged: Packaged, tmp_path: Path
) -> None:
    """The keys in the s3:GetObject statement are the files the code reads back."""
    statement = next(s for s in packaged.role_statements() if _actions(s) == ["s3:GetObject"])
    keys = [resource.rsplit("/", 1)[1] for resource in _resources(statement)]
    assert sorted(keys) == sorted(READ_BACK_FILES)


def test_a_failed_run_raises_an_alarm_on_a_topic(packaged: Packaged) -> None:
    alarm = packaged.only_resource("AWS::CloudWatch::Alarm")["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "DataLoggerLambdaFunction"}}
    ]
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"  # weeks without a run are not failures
    assert alarm["AlarmActions"] == [{"Ref": "FailureTopic"}]


def alarm_email(packaged: Packaged) -> str:
    """The address the subscription would go to; it exists only when this is not empty."""
    subscription = packaged.resources_of_type("AWS::SNS::Subscription")["FailureTopicEmail"]
    condition = packaged.template["Conditions"][subscription["Condition"]]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert subscription["Properties"]["Protocol"] == "email"
    default: str = packaged.template["Parameters"]["AlarmEmail"]["Default"]
    return default


def test_no_alarm_email_means_no_subscription(packaged: Packaged) -> None:
    assert alarm_email(packaged) == ""


def test_alarm_email_param_subscribes_that_address(packaged_prod: Packaged) -> None:
    assert alarm_email(packaged_prod) == "platform-team@acme.example"


# --- the weekly digest by e-mail ---------------------------------------------------

DIGEST_RESOURCES = {
    "DigestTopic": "AWS::SNS::Topic",
    "DigestTopicEmail": "AWS::SNS::Subscription",
    "DigestPublishPolicy": "AWS::IAM::Policy",
}


def digest_email(packaged: Packaged) -> str:
    """The digest address; the digest resources exist only when it is not empty."""
    condition = packaged.template["Conditions"]["HasDigestEmail"]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "DigestEmail"}, ""]}]}
    resources = packaged.template["Resources"]
    for name, resource_type in DIGEST_RESOURCES.items():
        assert resources[name]["Type"] == resource_type
        assert resources[name]["Condition"] == "HasDigestEmail"
    default: str = packaged.template["Parameters"]["DigestEmail"]["Default"]
    return default


def test_no_digest_email_means_no_topic_subscription_policy_or_variable(
    packaged: Packaged,
) -> None:
    assert digest_email(packaged) == ""
    variables = packaged.function_properties()["Environment"]["Variables"]
    assert "DIGEST_TOPIC_ARN" not in variables
    assert "sns:" not in json.dumps(packaged.role_statements())


def test_digest_email_gives_a_topic_its_subscription_and_publish_on_it_alone(
    packaged_prod: Packaged,
) -> None:
    assert digest_email(packaged_prod) == "security-team@acme.example"
    resources = packaged_prod.template["Resources"]
    subscription = resources["DigestTopicEmail"]["Properties"]
    assert subscription == {
        "TopicArn": {"Ref": "DigestTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "DigestEmail"},
    }
    policy = resources["DigestPublishPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "IamRoleLambdaExecution"}]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": [{"Ref": "DigestTopic"}]}
    ]
    # The role itself gains nothing for SNS: the publish grant is this policy alone.
    assert "sns:" not in json.dumps(packaged_prod.role_statements())
    policies = packaged_prod.resources_of_type("AWS::IAM::Policy")
    assert list(policies) == ["DigestPublishPolicy"]


def test_template_with_the_digest_passes_cfn_lint(packaged_prod: Packaged) -> None:
    assert cfn_lint(packaged_prod.template_path) == (0, "")


# --- many organisations (the `orgs` param) -------------------------------------

BUCKET = f"{SERVICE}-dev-eu-west-1"
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
ONE_ORGANISATION_RESOURCES = {
    "ServerlessDeploymentBucket",
    "ServerlessDeploymentBucketPolicy",
    "DataLoggerLogGroup",
    "IamRoleLambdaExecution",
    "DataLoggerLambdaFunction",
    "DataLoggerLambdaEvConf",
    "DataLoggerEventsRuleSchedule1",
    "DataLoggerLambdaPermissionEventsRuleSchedule1",
    "FailureTopic",
    "FailureTopicEmail",
    "FailureAlarm",
    "DigestTopic",  # these three only with digestEmail (condition HasDigestEmail)
    "DigestTopicEmail",
    "DigestPublishPolicy",
    "DataBucket",
    "DataBucketPolicy",
}


@pytest.fixture(scope="session")
def packaged_orgs(service_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    """Every organisation where the App is installed, three at a time."""
    return package(
        service_dir,
        tmp_path_factory.mktemp("orgs-package"),
        "--param=orgs=*",
        "--param=orgsConcurrency=3",
    )


def _named(packaged: Packaged, logical_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = packaged.template["Resources"][logical_id]
    return resource


def state_machine_definition(packaged: Packaged) -> dict[str, Any]:
    """The ASL, with each `${…}` placeholder put back as the CloudFormation value it stands for."""
    machine = packaged.only_resource("AWS::StepFunctions::StateMachine")["Properties"]
    text, values = machine["DefinitionString"]["Fn::Sub"]
    for placeholder, value in values.items():
        text = text.replace(f'"${{{placeholder}}}"', json.dumps(value))
    definition: dict[str, Any] = json.loads(text)
    return definition


def _function_arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def test_without_orgs_the_stack_is_the_one_organisation_stack(packaged: Packaged) -> None:
    names = {
        name
        for name in packaged.template["Resources"]
        if not name.startswith("DataLoggerLambdaVersion")
    }
    assert names == ONE_ORGANISATION_RESOURCES
    assert not packaged.resources_of_type("AWS::StepFunctions::StateMachine")
    rules = packaged.data_bucket()["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [rule["Id"] for rule in rules] == ["expire-history", "expire-noncurrent-versions"]
    assert set(packaged.template["Outputs"]) == {
        "ServerlessDeploymentBucketName",
        "DataLoggerLambdaFunctionQualifiedArn",
        "FailureTopicArn",
        "DataBucketName",
    }


def test_orgs_state_machine_lists_then_maps_then_rolls_up(packaged_orgs: Packaged) -> None:
    definition = state_machine_definition(packaged_orgs)
    states = definition["States"]
    assert definition["StartAt"] == "ListOrganisations"
    listing = states["ListOrganisations"]
    assert listing["Parameters"]["FunctionName"] == _function_arn("ListOrganisationsLambdaFunction")
    assert listing["Next"] == "AuditOrganisations"

    audit = states["AuditOrganisations"]
    assert audit["Type"] == "Map"
    assert audit["ItemsPath"] == "$.listed.organisations"
    assert audit["MaxConcurrency"] == 3
    assert audit["Next"] == "RollUp"
    processor = audit["ItemProcessor"]
    run = processor["States"][processor["StartAt"]]
    assert run["Resource"] == "arn:aws:states:::lambda:invoke"
    assert run["Parameters"] == {
        "FunctionName": _function_arn("DataLoggerLambdaFunction"),
        "Payload": {"org.$": "$.org", "output_prefix.$": "$.output_prefix"},
    }
    (catch,) = run["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    caught = processor["States"][catch["Next"]]
    assert (caught["Type"], caught["End"]) == ("Pass", True)  # the item ends; the Map goes on
    assert [retry["ErrorEquals"] for retry in run["Retry"]] == [LAMBDA_SERVICE_ERRORS]

    rollup = states["RollUp"]
    assert rollup["Parameters"] == {
        "FunctionName": _function_arn("RollUpOrganisationsLambdaFunction"),
        "Payload": {
            "runs.$": "$.runs",
            "not_installed.$": "$.listed.not_installed",
            "execution_started_at.$": "$$.Execution.StartTime",
        },
    }
    (choice,) = states[rollup["Next"]]["Choices"]
    assert choice == {
        "Variable": "$.rollup.failed[0]",
        "IsPresent": True,
        "Next": "OrganisationsFailed",
    }
    assert states["OrganisationsFailed"]["Type"] == "Fail"
    assert states[states["AnyFailed"]["Default"]]["Type"] == "Succeed"


def test_orgs_schedule_starts_the_state_machine_not_the_function(packaged_orgs: Packaged) -> None:
    rule = packaged_orgs.only_resource("AWS::Events::Rule")["Properties"]
    assert rule["ScheduleExpression"] == "cron(0 3 ? * SUN *)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": "OrganisationsStateMachine"}
    assert json.loads(target["Input"]) == {}
    assert not packaged_orgs.resources_of_type("AWS::Lambda::Permission")
    schedule_role = _named(packaged_orgs, target["RoleArn"]["Fn::GetAtt"][0])
    (policy,) = schedule_role["Properties"]["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": {"Ref": "OrganisationsStateMachine"},
        }
    ]


def _statements(packaged: Packaged, role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in _named(packaged, role)["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _grants(packaged: Packaged, role: str) -> dict[str, list[Any]]:
    """Action -> resources, for every Allow of the role (logs left to their own test)."""
    grants: dict[str, list[Any]] = {}
    for statement in _statements(packaged, role):
        assert statement["Effect"] == "Allow"
        for action in _actions(statement):
            grants.setdefault(action, []).extend(_resources(statement))
    return grants


def test_orgs_each_role_has_least_privilege(packaged_orgs: Packaged) -> None:
    functions = packaged_orgs.resources_of_type("AWS::Lambda::Function")
    roles = {name: fn["Properties"]["Role"] for name, fn in functions.items()}
    assert roles == {
        "DataLoggerLambdaFunction": _function_arn("IamRoleLambdaExecution"),
        "ListOrganisationsLambdaFunction": {"Fn::Sub": "${ListOrganisationsRole.Arn}"},
        "RollUpOrganisationsLambdaFunction": {"Fn::Sub": "${RollUpOrganisationsRole.Arn}"},
    }
    data_logger = _grants(packaged_orgs, "IamRoleLambdaExecution")
    assert data_logger["s3:PutObject"] == [f"arn:aws:s3:::{BUCKET}/*"]
    # Each organisation's run reads back its own latest copies, under orgs/LOGIN/.
    assert data_logger["s3:GetObject"] == [
        f"arn:aws:s3:::{BUCKET}/orgs/*/{name}" for name in READ_BACK_FILES
    ]
    assert set(data_logger) == {
        "logs:CreateLogStream",
        "logs:CreateLogGroup",
        "logs:TagResource",
        "logs:PutLogEvents",
        "s3:PutObject",
        "s3:GetObject",
        "secretsmanager:GetSecretValue",
    }

    def log_group(function: str) -> list[Any]:
        account = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
        arn = f"{account}:log-group:/aws/lambda/{SERVICE}-dev-{function}:*"
        return [{"Fn::Sub": arn}]

    listing = _grants(packaged_orgs, "ListOrganisationsRole")
    assert set(listing) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
    }
    assert listing["logs:PutLogEvents"] == log_group("listOrganisations")
    (secret,) = listing["secretsmanager:GetSecretValue"]
    assert secret["Fn::Join"][1][5:] == ["secret", f"{SERVICE}/dev/github-app-private-key-??????"]

    rollup = _grants(packaged_orgs, "RollUpOrganisationsRole")
    assert rollup == {
        "logs:CreateLogStream": log_group("rollUpOrganisations"),
        "logs:PutLogEvents": log_group("rollUpOrganisations"),
        "s3:GetObject": [f"arn:aws:s3:::{BUCKET}/orgs/*/run_summary.json"],
        "s3:PutObject": [f"arn:aws:s3:::{BUCKET}/organisations.json"],
    }

    machine = _grants(packaged_orgs, "OrganisationsStateMachineRole")
    assert machine == {
        "lambda:InvokeFunction": [
            _function_arn("ListOrganisationsLambdaFunction"),
            _function_arn("DataLoggerLambdaFunction"),
            _function_arn("RollUpOrganisationsLambdaFunction"),
        ]
    }
    state_machine = packaged_orgs.only_resource("AWS::StepFunctions::StateMachine")
    assert state_machine["Properties"]["RoleArn"] == _function_arn("OrganisationsStateMachineRole")


def test_orgs_list_step_gets_the_orgs_param(packaged_orgs: Packaged) -> None:
    function = _named(packaged_orgs, "ListOrganisationsLambdaFunction")["Properties"]
    assert function["Handler"] == "organisations_handler.list_organisations"
    assert function["Environment"]["Variables"]["GITHUB_ORGS"] == "*"
    rollup = _named(packaged_orgs, "RollUpOrganisationsLambdaFunction")["Properties"]
    assert rollup["Handler"] == "organisations_handler.roll_up"
    assert "GITHUB_ORGS" not in rollup["Environment"]["Variables"]
    configs = packaged_orgs.resources_of_type("AWS::Lambda::EventInvokeConfig")
    assert {c["Properties"]["MaximumRetryAttempts"] for c in configs.values()} == {0}
    assert "organisations_handler.py" in _artifact_names(packaged_orgs)


def test_orgs_failed_execution_raises_an_alarm(packaged_orgs: Packaged) -> None:
    alarm = _named(packaged_orgs, "OrganisationsFailureAlarm")["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/States", "ExecutionsFailed")
    assert alarm["Dimensions"] == [
        {"Name": "StateMachineArn", "Value": {"Ref": "OrganisationsStateMachine"}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": "FailureTopic"}]
    assert alarm["Threshold"] == 1


def test_orgs_history_under_each_prefix_expires(packaged_orgs: Packaged) -> None:
    rules = packaged_orgs.data_bucket()["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [(rule["Id"], rule.get("Prefix")) for rule in rules] == [
        ("expire-history", "history/"),
        ("expire-organisations-history", "orgs/"),
        ("expire-noncurrent-versions", None),
    ]


def test_orgs_template_passes_cfn_lint(packaged_orgs: Packaged) -> None:
    assert cfn_lint(packaged_orgs.template_path) == (0, "")


def _layout(params: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """deploy/layout.js as Serverless calls it, with ``params`` as the --param values."""
    script = (
        "const layout = require(process.argv[1]);"
        "const params = JSON.parse(process.argv[2]);"
        "const resolveVariable = async (v) => {"
        "  const [name, fallback] = v.replace('param:', '').split(', ');"
        "  return name in params ? params[name] : fallback.replace(/'/g, '');"
        "};"
        "layout({ resolveVariable }).then((r) => console.log(JSON.stringify(r)),"
        " (e) => { console.error(e.message); process.exit(1); });"
    )
    return subprocess.run(  # noqa: S603 - node on our own deploy script
        ["node", "-e", script, str(REPO_ROOT / "deploy" / "layout.js"), json.dumps(dict(params))],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("params", "layout"),
    [
        ({}, {"layout": "one-organisation", "orgsConcurrency": 5}),
        ({"orgs": "*"}, {"layout": "many-organisations", "orgsConcurrency": 5}),
        (
            {"orgs": "acme,globex", "orgsConcurrency": "40"},
            {"layout": "many-organisations", "orgsConcurrency": 40},
        ),
    ],
    ids=["no-orgs", "all-default-concurrency", "list-max-concurrency"],
)
def test_layout_follows_the_orgs_param(params: dict[str, str], layout: dict[str, Any]) -> None:
    result = _layout(params)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == layout


@pytest.mark.parametrize("value", ["0", "41", "five", "2.5"])
def test_layout_refuses_a_bad_concurrency(value: str) -> None:
    result = _layout({"orgs": "*", "orgsConcurrency": value})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Invalid param orgsConcurrency: {json.dumps(value)} is not a whole number from 1 to 40. "
        "Pass e.g. --param=orgsConcurrency=5 (organisations audited at once)."
    )


@pytest.mark.parametrize("value", ["acme,,globex", "acme,*", "acme/x", " ,acme"])
def test_layout_refuses_a_bad_orgs_list(value: str) -> None:
    result = _layout({"orgs": value})
    assert result.returncode == 1
    login = next(part.strip() for part in value.split(",") if not re.fullmatch(r"[a-z]+", part))
    assert result.stderr.strip() == (
        f"Invalid param orgs: {json.dumps(login)} is not an organisation login. "
        "Pass --param=orgs='*' for every organisation where the App is installed, "
        "or logins like --param=orgs=acme,globex."
    )


# --- first contact: deploy guard, quiet local output ----------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            [],
            "Missing deployment parameters org and appClientId: the function would have no "
            "GITHUB_ORG and GITHUB_APP_CLIENT_ID and every run would fail. Deploy with "
            "--param=org=<organisation login> --param=appClientId=<GitHub App client ID> "
            '(see README, "Deploy").',
        ),
        (
            ["--param=appClientId=Iv1.0123456789abcdef"],
            "Missing deployment parameter org: the function would have no GITHUB_ORG and every "
            'run would fail. Deploy with --param=org=<organisation login> (see README, "Deploy").',
        ),
        (
            ["--param=orgs=acme,globex"],  # many organisations: each run's org is in its event
            "Missing deployment parameter appClientId: the function would have no "
            "GITHUB_APP_CLIENT_ID and every run would fail. Deploy with "
            '--param=appClientId=<GitHub App client ID> (see README, "Deploy").',
        ),
    ],
    ids=["no-params", "no-org", "orgs-without-app"],
)
def test_deploy_without_org_stops_before_anything_is_built_or_sent(
    service_dir: Path, params: list[str], expected: str
) -> None:
    """No AWS credentials at all: the guard answers before any AWS call would fail."""
    result = run_serverless(service_dir, "deploy", "--stage", "guard", *params, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.rstrip().splitlines()[-1] == expected
    assert "Packaging" not in result.stdout + result.stderr  # stopped before the build


def _log_objects(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"level"')]


def test_invoke_local_prints_each_log_event_once_as_one_json_line(
    service_dir: Path, sample_fake: FakeGitHub, tmp_path: Path
) -> None:
    """The log file (show_log_locally) has every event once: stdout has the same lines."""
    config = json.loads((REPO_ROOT / "config.json").read_text())
    config["features"]["show_log_locally"] = True
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    result, output_dir = invoke_local(
        service_dir, sample_fake, tmp_path, CONFIG_PATH=str(config_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    logged = (output_dir / "data_logger.log").read_text().splitlines()
    assert len(logged) >= 5
    stdout_lines = [line for line in result.stdout.splitlines() if line.strip()]
    printed = [line for line in stdout_lines if line.startswith('{"level"')]
    # The same lines, once each; threads that log at once (the inventory is listed
    # while the collections run) may reach the two outputs in a different order.
    assert sorted(printed) == sorted(logged)
    assert not [line for line in stdout_lines if line.startswith(("INFO:", "WARNING:", "ERROR:"))]
    assert result.stderr.strip() == ""
    # After the log lines, the wrapper prints the returned summary (indented JSON).
    tail = "\n".join(stdout_lines[len(printed) :])
    assert json.loads(tail)["status"] == "succeeded"


def _all_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return (result.stdout + result.stderr).splitlines()


def test_a_run_that_cannot_start_prints_a_few_lines_ending_in_its_cause(
    service_dir: Path, sample_fake: FakeGitHub, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-key.pem"
    result, output_dir = invoke_local(
        service_dir, sample_fake, tmp_path, GITHUB_APP_PRIVATE_KEY_FILE=str(missing)
    )
    assert result.returncode == 1
    assert len(_all_lines(result)) < 15, result.stdout + result.stderr
    assert result.stdout.rstrip().splitlines()[-1] == (
        f"The data logger run failed: Cannot read the GitHub App private key from file {missing} "
        "(GITHUB_APP_PRIVATE_KEY_FILE): No such file or directory. Check the path and the "
        "file's permissions."
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert "    at " not in result.stdout + result.stderr  # no Node stack
    (event,) = [e for e in _log_objects(result.stdout) if e["level"] == "ERROR"]
    assert event["message"] == "run stopped before collecting"
    assert not (output_dir / "run_summary.json").exists()


def test_a_network_failure_arrives_in_seconds_and_ends_in_its_cause(
    service_dir: Path, sample_fake: FakeGitHub, tmp_path: Path
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result, output_dir = invoke_local(service_dir, sample_fake, tmp_path, GITHUB_API_URL=closed)
    assert result.returncode == 1
    lines = _all_lines(result)
    assert len(lines) < 15, result.stdout + result.stderr
    assert not [line for line in lines if "Retrying (Retry(" in line]
    assert result.stdout.rstrip().splitlines()[-1] == (
        "The data logger run failed: dependabot, repositories, secret_scanning failed: GitHub "
        "App authentication failed: GET /orgs/acme-demo/installation failed without a complete "
        "HTTP answer after 3 attempt(s): NewConnectionError. Check network access to the GitHub "
        "API and its configured base URL. (see run_summary.json)"
    )
    summary = json.loads((output_dir / "run_summary.json").read_text())
    assert summary["status"] == "failed"
    started = datetime.fromisoformat(summary["started_at"])
    finished = datetime.fromisoformat(summary["finished_at"])
    assert (finished - started).total_seconds() < 6  # 3 attempts, at most 3 s of backoff
