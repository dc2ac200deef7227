"""The fake GitHub speaks GitHub's published REST description (tests/fake_github/openapi.py).

Requests: method and path, every query parameter (known, typed, in its enum,
under its maximum). Answers: the response schema of the operation, objects
closed. A breach fails the test that caused it (tests/conftest.py): proven here
by running planted tests with pytester.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import urllib3

from github_client import GitHubClient
from tests.fake_github import FakeGitHub, Faults, server
from tests.fake_github.http_types import FakeRequest
from tests.fake_github.openapi import (
    ALIASES,
    DESCRIPTION_FILE,
    Description,
    RestContract,
    description,
    to_json_schema,
)
from tests.fake_github.process import start_fake_process
from tests.fake_github.rest import RestApi, git_blob_sha
from tests.fake_github.sparse import NULL, OMIT
from tests.fake_github.update_rest_description import OPERATIONS, VERSION, subset

pytest_plugins = ["pytester"]

FakeGitHubFactory = Callable[..., FakeGitHub]
UA = {"User-Agent": "contract-test"}

# One request per REST route of the fake, as the runtime or GitHub's Link headers send it.
ROUTE_SAMPLES = {
    "installation": ("GET", "/orgs/acme/installation"),
    "access_tokens": ("POST", "/app/installations/40001008/access_tokens"),
    "org_repos": ("GET", "/organizations/1008/repos?per_page=100&page=2"),
    "org_members": ("GET", "/orgs/acme/members?per_page=100"),
    "repository": ("GET", "/repos/acme/api"),
    "branches": ("GET", "/repositories/7/branches?protected=false&per_page=100"),
    "git_blobs": ("GET", "/repos/acme/api/git/blobs/" + "a" * 40),
    "contents": ("GET", "/repos/acme/.github-private/contents/policy/exceptions.toml"),
    "dependabot_alerts": ("GET", "/orgs/acme/dependabot/alerts?state=open&per_page=100&after="),
    "secret_scanning_alerts": (
        "GET",
        "/orgs/acme/secret-scanning/alerts?state=open&per_page=100&hide_secret=true&page=2",
    ),
}


def token_for(fake: FakeGitHub) -> str:
    token, _ = fake.tokens.issue(3600)
    return token


def call(fake: FakeGitHub, method: str, target: str, token: str) -> Any:
    headers = {**UA, "Authorization": f"Bearer {token}"}
    return urllib3.request(method, fake.url + target, headers=headers, retries=False)


# -- the vendored description ------------------------------------------------------


def test_vendored_description_records_its_source_and_the_operations_we_serve() -> None:
    spec = description()
    vendored = spec.vendored
    assert vendored["package"] == "@octokit/openapi"
    assert vendored["version"] == VERSION == spec.document["info"]["version"]
    assert re.fullmatch(r"[0-9a-f]{64}", vendored["sha256"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", vendored["vendored_on"])
    assert vendored["operations"] == [f"{m.upper()} {p}" for m, p in OPERATIONS]
    served = {(op.method, op.template) for op in spec.operations}
    assert served == {(m.upper(), p) for m, p in OPERATIONS}
    assert DESCRIPTION_FILE.stat().st_size < 400_000  # a subset, not GitHub's 13 MB


def test_every_fake_route_is_a_described_operation() -> None:
    routes = {name for _, _, name in server._ROUTES} - {"graphql"}
    assert routes == set(ROUTE_SAMPLES)
    spec = description()
    for method, target in ROUTE_SAMPLES.values():
        path = target.split("?")[0]
        assert server.match_route(method, path) is not None, target
        assert spec.match(method, path) is not None, target


def test_aliases_are_the_id_forms_of_documented_operations() -> None:
    spec = description()
    for alias, documented in ALIASES.items():
        assert any(op.template == documented for op in spec.operations)
        op, _ = spec.match("GET", re.sub(r"\{[^}]+\}", "123", alias)) or (None, None)
        assert op is not None and op.template == alias


def test_subset_keeps_every_reference_and_drops_examples() -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"version": "1"},
        "paths": {
            "/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/ok"}}}},
            "/b": {"get": {"responses": {}}},
        },
        "components": {
            "responses": {"ok": {"content": {"x": {"schema": {"$ref": "#/components/schemas/s"}}}}},
            "schemas": {
                "s": {"properties": {"t": {"$ref": "#/components/schemas/t"}}, "example": 1},
                "t": {"type": "string"},
                "unused": {"type": "string"},
            },
        },
    }
    result = subset(document, [("get", "/a")], {"version": "1"})
    assert list(result["paths"]) == ["/a"]
    assert set(result["components"]["schemas"]) == {"s", "t"}
    assert "example" not in result["components"]["schemas"]["s"]
    assert result["info"]["x-vendored"] == {"version": "1"}


# -- schema conversion and parameter values ----------------------------------------


@pytest.mark.parametrize(
    ("openapi", "json_schema"),
    [
        ({"type": "string", "nullable": True}, {"type": ["string", "null"]}),
        (
            {"type": "string", "enum": ["a"], "nullable": True},
            {"type": ["string", "null"], "enum": ["a", None]},
        ),
        (
            {"$ref": "#/components/schemas/x", "nullable": True},
            {"anyOf": [{"$ref": "#/$defs/x"}, {"type": "null"}]},
        ),
        (
            {"type": "object", "properties": {"a": {"type": "integer", "description": "d"}}},
            {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "additionalProperties": False,
            },
        ),
        (
            {"type": "object", "additionalProperties": {"type": "string"}},
            {"type": "object", "additionalProperties": {"type": "string"}},
        ),
        (
            {"allOf": [{"properties": {"a": {}}}], "nullable": True},
            {
                "type": ["object", "null"],
                "properties": {"a": {}},
                "required": [],
                "additionalProperties": False,
            },
        ),
        (
            {"allOf": [{"properties": {"a": {}}, "required": ["a"]}, {"properties": {"b": {}}}]},
            {
                "type": "object",
                "properties": {"a": {}, "b": {}},
                "required": ["a"],
                "additionalProperties": False,
            },
        ),
    ],
)
def test_openapi_schemas_become_closed_json_schemas(
    openapi: dict[str, Any], json_schema: dict[str, Any]
) -> None:
    assert to_json_schema(openapi) == json_schema


def _parameter(operation: str, name: str) -> Any:
    op = next(op for op in description().operations if op.operation_id == operation)
    return op.parameters[("query", name)]


@pytest.mark.parametrize(
    ("operation", "name", "value", "problem"),
    [
        ("repos/list-for-org", "per_page", "100", None),
        ("repos/list-for-org", "per_page", "101", "101 is above the maximum 100"),
        ("repos/list-for-org", "per_page", "ten", "'ten' is not an integer"),
        ("repos/list-for-org", "type", "all", None),
        ("repos/list-for-org", "type", "everything", "'everything' is not one of"),
        ("repos/list-branches", "protected", "false", None),
        ("repos/list-branches", "protected", "0", "'0' is not a boolean"),
        ("secret-scanning/list-alerts-for-org", "hide_secret", "true", None),
        ("secret-scanning/list-alerts-for-org", "page", "2", None),
        ("secret-scanning/list-alerts-for-org", "after", "", None),
        ("secret-scanning/list-alerts-for-org", "secret_type", "a,b", None),
        ("secret-scanning/list-alerts-for-org", "state", "fixed", "'fixed' is not one of"),
        ("dependabot/list-alerts-for-org", "per_page", "101", "101 is above the maximum 100"),
        ("dependabot/list-alerts-for-org", "has", "patch", None),
        ("apps/list-installations", "since", "2024-01-01T00:00:00Z", None),
        ("apps/list-installations", "since", "yesterday", "is not an ISO 8601 date-time"),
    ],
)
def test_parameter_values(operation: str, name: str, value: str, problem: str | None) -> None:
    found = _parameter(operation, name).problem(value)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


# -- requests ----------------------------------------------------------------------


def test_documented_requests_pass(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github()
    token = token_for(fake)
    for method, target in ROUTE_SAMPLES.values():
        if method == "GET":
            call(fake, method, target, token)
    assert fake.contract.violations == []


@pytest.mark.parametrize(
    ("target", "status", "message"),
    [
        # GitHub ignores an unknown parameter and clamps per_page on this list...
        ("/orgs/acme/repos?colour=blue", 200, "repos/list-for-org takes no 'colour' parameter"),
        ("/orgs/acme/repos?per_page=101", 200, "per_page: 101 is above the maximum 100"),
        # ...and answers 422 where the operation documents it.
        ("/orgs/acme/members?role=owner", 422, "role: 'owner' is not one of"),
        ("/orgs/acme/dependabot/alerts?per_page=101", 422, "101 is above the maximum 100"),
        ("/orgs/acme/dependabot/alerts?page=2", 400, "takes no 'page' parameter"),
        ("/orgs/acme/repos?page=1&page=2", 200, "'page' given more than once"),
        ("/repos/acme/api/branches?protected=yes", 200, "'yes' is not a boolean"),
    ],
)
def test_bad_requests_are_recorded_and_rejected_where_github_would(
    fake_github: FakeGitHubFactory, target: str, status: int, message: str
) -> None:
    fake = fake_github()
    answer = call(fake, "GET", target, token_for(fake))
    assert answer.status == status
    if status == 422:
        assert answer.json()["message"] == "Validation Failed"
    taken = fake.contract.take()
    assert len(taken) == 1 and message in taken[0].message, taken
    assert taken[0].target == target and taken[0].kind in ("parameter", "operation")


def test_unknown_operations_are_recorded(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github()
    token = token_for(fake)
    assert call(fake, "GET", "/orgs/acme/teams", token).status == 404
    assert call(fake, "DELETE", "/repos/acme/api", token).status == 404
    assert call(fake, "GET", "/app/installations", token).status == 404
    messages = [v.message for v in fake.contract.take()]
    assert messages == [
        "no such operation in GitHub's REST description",
        "no such operation in GitHub's REST description",
        "a documented operation the fake does not serve",
    ]


def test_a_request_body_is_checked(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github()
    contract = RestContract()

    good = FakeRequest("POST", "/app/installations/1/access_tokens", {}, b'{"repositories": ["a"]}')
    bad = FakeRequest("POST", "/app/installations/1/access_tokens", {}, b'{"repos": ["a"]}')
    assert contract.check_request(good) is None
    rejected = contract.check_request(bad)
    assert rejected is not None and rejected.status == 422
    [violation] = contract.take()
    assert "body (root): Additional properties are not allowed ('repos'" in violation.message
    assert fake.contract.violations == []


# -- answers -----------------------------------------------------------------------


def test_every_answer_of_the_sample_validates(fake_github: FakeGitHubFactory) -> None:
    """Each route answers once with a full body; the contract records nothing."""
    fake = fake_github()
    token = token_for(fake)
    repo_id = fake.org.repositories[0].id
    blob = next(iter(fake.org.repositories[0].files.values()), "")

    targets = [
        "/orgs/acme/repos?type=all&per_page=100",
        "/orgs/acme/members",
        "/repos/acme/api",
        f"/repositories/{repo_id}/branches",
        f"/repos/acme/api/git/blobs/{git_blob_sha(blob.encode())}",
        "/orgs/acme/dependabot/alerts?state=open",
        "/orgs/acme/secret-scanning/alerts?state=open",
        "/orgs/acme/secret-scanning/alerts?state=open&hide_secret=true",
        "/orgs/nobody/repos",  # 404: GitHub's basic error
    ]
    statuses = [call(fake, "GET", target, token).status for target in targets]
    assert statuses == [200] * 8 + [404]
    assert fake.contract.violations == []


def _planted(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, change: Callable[..., Any]) -> Any:
    original = RestApi.repo_json

    def planted(self: RestApi, repo: Any) -> dict[str, Any]:
        data = original(self, repo)
        change(data)
        return data

    monkeypatch.setattr(RestApi, "repo_json", planted)
    call(fake, "GET", "/orgs/acme/repos", token_for(fake))
    return fake.contract.take()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(id=str(d["id"])), "/id: '%d' is not of type 'integer'"),
        (lambda d: d.update(invented=True), "Additional properties are not allowed ('invented'"),
        (lambda d: d.pop("node_id"), "'node_id' is a required property"),
        (lambda d: d.update(archived="no"), "/archived: 'no' is not of type 'boolean'"),
        (lambda d: d.update(created_at="2024-01-01"), "is not a 'date-time'"),
        (lambda d: d["owner"].update(type=None), "/owner/type: None is not of type 'string'"),
    ],
)
def test_a_fake_that_invents_fails(
    fake_github: FakeGitHubFactory,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[..., Any],
    message: str,
) -> None:
    fake = fake_github()
    taken = _planted(fake, monkeypatch, change)
    assert taken, "the planted answer validated"
    assert all(v.kind == "response" for v in taken)
    if "%d" in message:  # repository ids are counters shared by the whole process
        message = message % fake.org.repositories[0].id
    assert any(message in v.message for v in taken), taken


def test_a_field_the_description_requires_but_the_fake_omits_fails(
    fake_github: FakeGitHubFactory,
) -> None:
    document = copy.deepcopy(description().document)
    document["components"]["schemas"]["minimal-repository"]["required"].append("planted_field")
    document["components"]["schemas"]["minimal-repository"]["properties"]["planted_field"] = {
        "type": "string"
    }
    fake = fake_github()
    fake.contract = RestContract(spec=Description(document))
    call(fake, "GET", "/orgs/acme/repos", token_for(fake))
    taken = fake.contract.take()
    assert len(taken) == len(fake.org.repositories)
    assert all("'planted_field' is a required property" in v.message for v in taken)


def test_injected_faults_and_hostile_answers_are_not_checked(
    fake_github: FakeGitHubFactory,
) -> None:

    fake = fake_github(faults=Faults(hostile={"org_repos": "wrong_shape"}, server_errors=1))
    token = token_for(fake)
    assert call(fake, "GET", "/orgs/acme/repos", token).status == 502
    assert call(fake, "GET", "/orgs/acme/repos", token).status == 200
    assert fake.contract.violations == []


# -- sparse mode -------------------------------------------------------------------


@pytest.mark.parametrize("mode", [OMIT, NULL])
def test_sparse_answers_keep_only_what_the_description_guarantees(
    fake_github: FakeGitHubFactory, mode: str
) -> None:
    full = fake_github()
    sparse = fake_github(sparse=mode)
    target = "/orgs/acme/repos?type=all"
    full_repos = call(full, "GET", target, token_for(full)).json()
    sparse_repos = call(sparse, "GET", target, token_for(sparse)).json()
    required = set(description().schemas()["minimal-repository"]["required"])
    assert len(sparse_repos) == len(full_repos)
    for thin, rich in zip(sparse_repos, full_repos, strict=True):
        assert thin["description"] is None
        if mode == OMIT:
            assert set(thin) == required
            assert "visibility" not in thin and "security_and_analysis" not in thin
        else:
            assert set(thin) == set(rich)
            assert thin["created_at"] is None and thin["pushed_at"] is None
            assert thin["visibility"] == rich["visibility"]  # optional, never null
        assert thin["name"] == rich["name"] and thin["owner"]["login"] == "acme"
    alerts = call(sparse, "GET", "/orgs/acme/secret-scanning/alerts", token_for(sparse)).json()
    if mode == OMIT:
        assert alerts == [{}] * len(alerts) and alerts  # every field of this alert is optional
    else:
        assert all(alert["resolved_at"] is None and alert["number"] for alert in alerts)
    assert sparse.contract.violations == [] and full.contract.violations == []


def test_sparse_mode_is_validated(fake_github: FakeGitHubFactory) -> None:
    with pytest.raises(ValueError, match="sparse must be one of"):
        fake_github(sparse="thin")


def test_the_fake_process_takes_sparse_and_reports_violations(tmp_path: Path) -> None:

    key = tmp_path / "key.pem"
    with start_fake_process(
        "tests.fake_github.samples:small_org", key, ["--sparse", OMIT]
    ) as process:
        pem = key.read_text()
        client = GitHubClient("acme", "Iv1.testapp", pem, api_url=process.url)
        repos = list(client.paginate("/orgs/acme/repos", {"per_page": 100}))
        assert repos and all("visibility" not in repo for repo in repos)
        assert process.contract_violations() == []
        client.get("/orgs/acme/repos", {"per_page": 101})
        [violation] = process.contract_violations()
        assert "101 is above the maximum 100" in violation["message"]
        client.close()


# -- a breach fails the test that made it -------------------------------------------

PLANTED = """
import urllib3
from github_client import GitHubClient


def _token(fake):
    return fake.tokens.issue(3600)[0]


def _get(fake, target):
    headers = {"User-Agent": "t", "Authorization": "Bearer " + _token(fake)}
    return urllib3.request("GET", fake.url + target, headers=headers, retries=False)


def test_unknown_parameter(fake_github):
    assert _get(fake_github(), "/orgs/acme/members?colour=blue").status == 200


def test_per_page_101_through_the_client(fake_github, app_private_key):
    fake = fake_github()
    client = GitHubClient("acme", "Iv1.testapp", app_private_key, api_url=fake.url)
    assert list(client.paginate("/orgs/acme/repos", {"per_page": 101}))
    client.close()


def test_per_page_101_on_alerts(fake_github):
    assert _get(fake_github(), "/orgs/acme/dependabot/alerts?per_page=101").status == 422


def test_clean(fake_github):
    assert _get(fake_github(), "/orgs/acme/repos?per_page=100").status == 200


def test_taken(fake_github):
    fake = fake_github()
    _get(fake, "/orgs/acme/repos?colour=blue")
    assert len(fake.contract.take()) == 1


def test_outside_the_factory(app_private_key):
    from tests.fake_github import FakeGitHub
    from tests.fake_github.samples import small_org
    with FakeGitHub(small_org(), private_key_pem=app_private_key) as fake:
        _get(fake, "/orgs/acme/repos?per_page=1000")
"""


def test_a_breach_fails_the_test_that_made_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import *  # noqa: F403 - fixtures and the hook")
    pytester.makepyfile(test_planted=PLANTED)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    outcomes = {
        report.nodeid.split("::")[-1]: report.outcome
        for report in result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
        if report.when == "call"
    }
    assert outcomes == {
        "test_unknown_parameter": "failed",
        "test_per_page_101_through_the_client": "failed",
        "test_per_page_101_on_alerts": "failed",
        "test_clean": "passed",
        "test_taken": "passed",
        "test_outside_the_factory": "failed",
    }
    text = result.stdout.str()
    assert "orgs/list-members takes no 'colour' parameter" in text
    assert "GET /orgs/acme/repos?per_page=101: repos/list-for-org: per_page: 101" in text
    assert "REST contract violation(s) against GitHub's description" in text
    assert json.dumps("per_page=1000")[1:-1] in text


def test_a_multi_segment_path_parameter_may_span_slashes() -> None:
    """GitHub marks the contents API's ``path`` ``x-multi-segment``; other parameters are one
    segment each."""
    spec = description()
    found = spec.match("GET", "/repos/acme/.github-private/contents/policy/sub/exceptions.toml")
    assert found is not None
    op, params = found
    assert op.template == "/repos/{owner}/{repo}/contents/{path}"
    assert params == {
        "owner": "acme",
        "repo": ".github-private",
        "path": "policy/sub/exceptions.toml",
    }
    assert spec.match("GET", "/repos/acme/api/extra/git/blobs/" + "a" * 40) is None
