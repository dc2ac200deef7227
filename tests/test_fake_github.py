"""The fake GitHub checks what GitHub checks: driven with plain urllib3 + PyJWT."""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import urllib3

from collectors.queries import repository_facts_query
from github_client.clock import ManualClock
from github_client.links import parse_link_header
from tests.conftest import FakeGitHubFactory
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github import server as fake_server
from tests.fake_github.faults import ROUTE_NAMES
from tests.fake_github.graphql_exec import GraphQLEngine
from tests.fake_github.keys import new_private_key_pem
from tests.fake_github.model import (
    Branch,
    DependabotAlert,
    Organization,
    Repository,
    SecretScanningAlert,
)
from tests.fake_github.rest import RestApi
from tests.fake_github.samples import generated_org, small_org

UA = {"User-Agent": "policy-logger-tests"}
HTTP = urllib3.PoolManager(maxsize=20, retries=False, timeout=10.0)


# -- helpers ---------------------------------------------------------------


def make_jwt(
    key: str,
    iss: str | int = "Iv1.testapp",
    now: float | None = None,
    lifetime: float = 540,
    iat_offset: float = -60,
) -> str:
    now = time.time() if now is None else now
    claims = {"iat": int(now + iat_offset), "exp": int(now + iat_offset + lifetime), "iss": iss}
    return jwt.encode(claims, key, algorithm="RS256")


def call(
    fake: FakeGitHub,
    method: str,
    path: str,
    auth: str | None = None,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> urllib3.BaseHTTPResponse:
    all_headers = dict(UA if headers is None else headers)
    if auth is not None:
        all_headers["Authorization"] = f"Bearer {auth}"
    url = path if path.startswith("http") else fake.url + path
    encoded = json.dumps(body).encode() if body is not None else None
    return HTTP.request(method, url, body=encoded, headers=all_headers)


def token_for(fake: FakeGitHub, now: float | None = None) -> str:
    assertion = make_jwt(fake.private_key_pem, now=now)
    installation = call(fake, "GET", f"/orgs/{fake.org.login}/installation", assertion).json()
    answer = call(fake, "POST", f"/app/installations/{installation['id']}/access_tokens", assertion)
    assert answer.status == 201
    return str(answer.json()["token"])


def next_link(response: urllib3.BaseHTTPResponse) -> str | None:
    found = re.search(r'<([^>]+)>; rel="next"', response.headers.get("link", ""))
    return found.group(1) if found else None


def all_pages(fake: FakeGitHub, path: str, token: str) -> tuple[list[Any], int]:
    items: list[Any] = []
    url: str | None = path
    pages = 0
    while url:
        answer = call(fake, "GET", url, token)
        assert answer.status == 200, answer.data
        items.extend(answer.json())
        pages += 1
        url = next_link(answer)
    return items, pages


def graphql(
    fake: FakeGitHub, token: str, query: str, variables: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    answer = call(
        fake, "POST", "/graphql", token, body={"query": query, "variables": variables or {}}
    )
    return answer.status, answer.json()


@pytest.fixture
def fake(fake_github: FakeGitHubFactory) -> FakeGitHub:
    return fake_github()


@pytest.fixture
def token(fake: FakeGitHub) -> str:
    return token_for(fake)


# -- App authentication ----------------------------------------------------


def test_installation_lookup_with_a_good_jwt(fake: FakeGitHub) -> None:
    answer = call(fake, "GET", "/orgs/acme/installation", make_jwt(fake.private_key_pem))
    assert answer.status == 200
    assert answer.json()["id"] == fake.installation_id
    assert answer.json()["account"]["login"] == "acme"


def test_numeric_app_id_is_an_accepted_issuer(fake: FakeGitHub) -> None:
    assertion = make_jwt(fake.private_key_pem, iss="4242")
    assert call(fake, "GET", "/orgs/acme/installation", assertion).status == 200


@pytest.mark.parametrize(
    ("jwt_kwargs", "message"),
    [
        ({"iss": "Iv1.other"}, "Integration not found"),
        ({"lifetime": -10, "iat_offset": -700}, "'Expiration time' claim ('exp') must be"),
        ({"lifetime": 900}, "'Expiration time' claim ('exp') is too far in the future"),
        ({"iat_offset": 300}, "'Issued at' claim ('iat')"),
        ({"iat_offset": 30}, "'Issued at' claim ('iat')"),  # the future, though exp is near
        ({"iat_offset": -300, "lifetime": 1000}, "'Expiration time' claim ('exp') is too far"),
    ],
)
def test_jwt_claims_are_checked(fake: FakeGitHub, jwt_kwargs: dict[str, Any], message: str) -> None:
    answer = call(
        fake, "GET", "/orgs/acme/installation", make_jwt(fake.private_key_pem, **jwt_kwargs)
    )
    assert answer.status == 401
    assert answer.json()["message"].startswith(message)


def test_githubs_documented_jwt_is_accepted(fake: FakeGitHub) -> None:
    """GitHub's example signs iat 60 s back and exp 10 min ahead (11 min apart)."""
    assertion = make_jwt(fake.private_key_pem, iat_offset=-60, lifetime=660)
    assert call(fake, "GET", "/orgs/acme/installation", assertion).status == 200


def test_jwt_signed_with_another_key_is_rejected(fake: FakeGitHub) -> None:
    answer = call(fake, "GET", "/orgs/acme/installation", make_jwt(new_private_key_pem()))
    assert answer.status == 401
    assert answer.json()["message"] == "A JSON web token could not be decoded"


def test_jwt_times_use_the_fakes_clock(fake_github: FakeGitHubFactory) -> None:
    clock = ManualClock(start=1_800_000_000.0)
    fake = fake_github(clock=clock)
    fresh = make_jwt(fake.private_key_pem, now=clock.time())
    assert call(fake, "GET", "/orgs/acme/installation", fresh).status == 200
    clock.advance(600)
    assert call(fake, "GET", "/orgs/acme/installation", fresh).status == 401
    real_time_jwt = make_jwt(fake.private_key_pem)  # 2026 is not the fake's "now"
    assert call(fake, "GET", "/orgs/acme/installation", real_time_jwt).status == 401


def test_not_installed_answers_404(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github(installed=False)
    answer = call(fake, "GET", "/orgs/acme/installation", make_jwt(fake.private_key_pem))
    assert answer.status == 404
    assert answer.json()["message"] == "Not Found"


def test_token_shape_and_expiry(fake_github: FakeGitHubFactory) -> None:
    clock = ManualClock(start=1_800_000_000.0)
    fake = fake_github(clock=clock, token_ttl=3600.0)
    assertion = make_jwt(fake.private_key_pem, now=clock.time())
    path = f"/app/installations/{fake.installation_id}/access_tokens"
    answer = call(fake, "POST", path, assertion)
    body = answer.json()
    assert body["token"].startswith("ghs_") and len(body["token"]) == 40
    assert body["expires_at"] == "2027-01-15T09:00:00Z"  # 1_800_003_600
    assert body["permissions"]["contents"] == "read"
    assert call(fake, "GET", "/orgs/acme/repos", body["token"]).status == 200
    clock.advance(3600)
    expired = call(fake, "GET", "/orgs/acme/repos", body["token"])
    assert expired.status == 401
    assert expired.json()["message"] == "Bad credentials"
    assert fake.stats.tokens_issued == 1


def test_expire_tokens_revokes_live_tokens(fake: FakeGitHub, token: str) -> None:
    assert call(fake, "GET", "/orgs/acme/members", token).status == 200
    fake.expire_tokens()
    assert call(fake, "GET", "/orgs/acme/members", token).status == 401
    assert call(fake, "GET", "/orgs/acme/members", token_for(fake)).status == 200


def test_jwt_and_installation_tokens_are_not_interchangeable(fake: FakeGitHub, token: str) -> None:
    assertion = make_jwt(fake.private_key_pem)
    assert call(fake, "GET", "/orgs/acme/repos", assertion).status == 401
    refused = call(fake, "GET", "/orgs/acme/installation", token)
    assert refused.status == 401
    assert refused.json()["message"] == "A JSON web token could not be decoded"
    assert call(fake, "GET", "/orgs/acme/repos").status == 401
    assert call(fake, "GET", "/orgs/acme/repos", "ghs_made_up").status == 401


def test_token_scheme_is_accepted(fake: FakeGitHub, token: str) -> None:
    answer = HTTP.request(
        "GET", fake.url + "/orgs/acme/repos", headers={**UA, "Authorization": f"token {token}"}
    )
    assert answer.status == 200


# -- every request ---------------------------------------------------------


def test_missing_user_agent_is_forbidden(fake: FakeGitHub, token: str) -> None:
    no_agent = {"User-Agent": urllib3.util.SKIP_HEADER}  # urllib3 adds one otherwise
    answer = call(fake, "GET", "/orgs/acme/repos", token, headers=no_agent)
    assert answer.status == 403
    assert b"User-Agent" in answer.data


def test_rate_limit_headers_on_every_answer(fake: FakeGitHub, token: str) -> None:
    first = call(fake, "GET", "/orgs/acme/repos", token)
    second = call(fake, "GET", "/orgs/acme/members", token)
    unknown = call(fake, "GET", "/nope", token)
    for answer in (first, second, unknown):
        for name in ("limit", "remaining", "reset", "used", "resource"):
            assert f"x-ratelimit-{name}" in answer.headers
    assert first.headers["x-ratelimit-resource"] == "core"
    assert int(first.headers["x-ratelimit-remaining"]) == 4999
    assert int(second.headers["x-ratelimit-remaining"]) == 4998
    assert int(second.headers["x-ratelimit-used"]) == 2
    assert unknown.status == 404 and unknown.json()["message"] == "Not Found"
    assert [v.message for v in fake.contract.take()] == [
        "no such operation in GitHub's REST description"
    ]


def test_keep_alive_reuses_one_connection(fake: FakeGitHub, token: str) -> None:
    pool = urllib3.HTTPConnectionPool("127.0.0.1", int(fake.url.rsplit(":", 1)[1]), maxsize=1)
    for _ in range(5):
        answer = pool.request(
            "GET", "/orgs/acme/repos", headers={**UA, "Authorization": f"Bearer {token}"}
        )
        assert answer.status == 200
    assert pool.num_connections == 1


# -- REST shapes and paging -----------------------------------------------


def test_repository_shape(fake: FakeGitHub, token: str) -> None:
    repos = {r["name"]: r for r in call(fake, "GET", "/orgs/acme/repos?type=all", token).json()}
    assert set(repos) == {"api", "Legacy_Tool", "empty", "internal-docs"}
    api = repos["api"]
    assert api["html_url"] == "https://github.com/acme/api"
    assert api["full_name"] == "acme/api"
    assert api["visibility"] == "public" and api["private"] is False
    assert api["owner"]["login"] == "acme"
    assert api["security_and_analysis"]["secret_scanning"]["status"] == "enabled"
    assert api["security_and_analysis"]["secret_scanning_push_protection"]["status"] == "enabled"
    assert repos["Legacy_Tool"]["archived"] is True
    assert "security_and_analysis" not in repos["Legacy_Tool"]
    assert repos["empty"]["pushed_at"] is None


def test_per_page_is_capped_at_100(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github(generated_org(250))
    token = token_for(fake)
    assert len(call(fake, "GET", "/orgs/bigco/repos?per_page=500", token).json()) == 100
    assert len(call(fake, "GET", "/orgs/bigco/repos", token).json()) == 30
    # GitHub clamps it silently; its description says "(max 100)": the test that asks fails.
    assert [v.message for v in fake.contract.take()] == [
        "repos/list-for-org: per_page: 500 is above the maximum 100"
    ]


def test_page_numbered_link_paging(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github(generated_org(250))
    token = token_for(fake)
    first = call(fake, "GET", "/orgs/bigco/repos?type=all&per_page=100", token)
    link = first.headers["link"]
    assert 'rel="next"' in link and 'rel="last"' in link and "page=3" in link
    assert link.startswith(f"<{fake.url}/organizations/{fake.org.id}/repos?")
    repos, pages = all_pages(fake, "/orgs/bigco/repos?type=all&per_page=100", token)
    assert pages == 3
    assert [r["name"] for r in repos] == [r.name for r in fake.org.repositories]
    middle = call(fake, "GET", f"/organizations/{fake.org.id}/repos?per_page=100&page=2", token)
    assert {'rel="prev"', 'rel="first"', 'rel="next"', 'rel="last"'} <= set(
        re.findall(r'rel="\w+"', middle.headers["link"])
    )


def test_branches_filter_and_paging(fake_github: FakeGitHubFactory) -> None:
    org = small_org()
    api = org.repositories[0]
    api.branches = [Branch(f"b{i:03d}", protection_rule=i % 2 == 0) for i in range(7)]
    fake = fake_github(org)
    token = token_for(fake)
    branches, pages = all_pages(fake, "/repos/acme/api/branches?per_page=2", token)
    assert pages == 4 and len(branches) == 7
    unprotected, _ = all_pages(fake, "/repos/acme/api/branches?protected=false", token)
    assert [b["name"] for b in unprotected] == ["b001", "b003", "b005"]
    assert all(b["protected"] is False for b in unprotected)
    assert call(fake, "GET", "/repos/acme/nope/branches", token).status == 404


def test_repository_sort_orders(fake: FakeGitHub, token: str) -> None:
    fake.org.repositories[2].created_at = "2024-06-01T00:00:00Z"  # "empty" is the newest

    def names(query: str) -> list[str]:
        return [r["name"] for r in call(fake, "GET", f"/orgs/acme/repos{query}", token).json()]

    assert names("") == ["empty", "api", "Legacy_Tool", "internal-docs"]  # created desc
    assert names("?sort=full_name") == ["api", "empty", "internal-docs", "Legacy_Tool"]
    assert names("?sort=created&direction=asc")[-1] == "empty"
    assert call(fake, "GET", "/orgs/acme/repos?sort=stars", token).status == 422
    [violation] = fake.contract.take()
    assert "'stars' is not one of" in violation.message


def test_missing_app_permission_answers_403(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github(permissions={"metadata": "read", "members": "read"})
    token = token_for(fake)
    answer = call(fake, "GET", "/orgs/acme/secret-scanning/alerts", token)
    assert answer.status == 403
    assert answer.json()["message"] == "Resource not accessible by integration"
    assert call(fake, "GET", "/orgs/acme/members", token).status == 200


def test_members_are_listed(fake: FakeGitHub, token: str) -> None:
    members = call(fake, "GET", "/orgs/acme/members", token).json()
    assert [m["login"] for m in members] == ["alice", "bob"]


def _many_alerts_org() -> Organization:
    org = small_org()
    org.dependabot_alerts = [
        DependabotAlert(n, "api", "high", f"2026-01-{n % 28 + 1:02d}T00:00:00Z")
        for n in range(1, 251)
    ]
    org.secret_scanning_alerts = [
        SecretScanningAlert(n, "api", "2026-02-01T00:00:00Z", secret=f"s3cr3t-{n}")
        for n in range(1, 206)
    ]
    return org


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("/orgs/acme/dependabot/alerts?state=open&per_page=100", 250),
        ("/orgs/acme/secret-scanning/alerts?state=open&per_page=100&hide_secret=true&after=", 205),
    ],
)
def test_alert_cursor_paging(fake_github: FakeGitHubFactory, path: str, count: int) -> None:
    fake = fake_github(_many_alerts_org())
    token = token_for(fake)
    first = call(fake, "GET", path, token)
    assert "after=" in next_link(first)  # type: ignore[operator]
    alerts, pages = all_pages(fake, path, token)
    assert pages == 3
    assert len(alerts) == count == len({a["number"] for a in alerts})
    refused = call(fake, "GET", path + "&page=2", token)
    assert refused.status == 400
    assert "page" in refused.json()["message"]
    if "dependabot" in path:
        assert [v.message for v in fake.contract.take()] == [
            "dependabot/list-alerts-for-org takes no 'page' parameter"
        ]


def test_secret_scanning_pages_by_number_unless_after_is_sent(
    fake_github: FakeGitHubFactory,
) -> None:
    """GitHub's description: page numbers by default (with page=), cursors after after=."""
    fake = fake_github(_many_alerts_org())
    token = token_for(fake)
    path = "/orgs/acme/secret-scanning/alerts?state=open&per_page=100&hide_secret=true"
    first = call(fake, "GET", path, token)
    links = parse_link_header(first.headers["link"])
    assert links["next"].endswith("page=2") and links["last"].endswith("page=3")
    alerts, pages = all_pages(fake, path, token)
    assert pages == 3 and len({a["number"] for a in alerts}) == 205
    third = call(fake, "GET", path + "&page=3", token).json()
    assert [a["number"] for a in third] == [a["number"] for a in alerts[200:]]


def _secret_types_org() -> Organization:
    org = small_org()
    org.secret_scanning_alerts = [
        SecretScanningAlert(1, "api", "2026-02-01T00:00:00Z", secret_type="aws_access_key_id"),
        SecretScanningAlert(2, "api", "2026-02-02T00:00:00Z", secret_type="rsa_private_key"),
        SecretScanningAlert(3, "api", "2026-02-03T00:00:00Z", secret_type="password"),
        SecretScanningAlert(4, "api", "2026-02-04T00:00:00Z", secret_type="slack_api_token"),
    ]
    return org


@pytest.mark.parametrize(
    ("query", "adds_to_defaults", "numbers"),
    [
        ("", False, [1, 4]),  # default (provider) patterns only
        ("&secret_type=rsa_private_key,password", False, [2, 3]),
        ("&secret_type=aws_access_key_id", False, [1]),
        ("&secret_type=rsa_private_key", True, [1, 2, 4]),  # the other reading
        ("&secret_type=", False, []),
    ],
)
def test_secret_type_names_the_generic_patterns(
    fake_github: FakeGitHubFactory, query: str, adds_to_defaults: bool, numbers: list[int]
) -> None:
    org = _secret_types_org()
    org.secret_type_adds_to_defaults = adds_to_defaults
    fake = fake_github(org)
    token = token_for(fake)
    answer = call(fake, "GET", "/orgs/acme/secret-scanning/alerts?state=open" + query, token)
    assert sorted(a["number"] for a in answer.json()) == numbers


def test_alert_fields_vary_and_may_be_absent(fake_github: FakeGitHubFactory) -> None:
    org = small_org()
    org.dependabot_alerts = [
        DependabotAlert(
            1,
            "api",
            "high",
            "2026-01-01T00:00:00Z",
            ecosystem="maven",
            package="org.example:lib",
            scope=None,
            cvss_v4=9.1,
            epss=0.2,
            patched_version=None,
            omit=("dependency.manifest_path", "security_advisory.cvss_severities.cvss_v3"),
        )
    ]
    org.secret_scanning_alerts = [
        SecretScanningAlert(
            1, "api", "2026-01-01T00:00:00Z", secret_type="rsa_private_key", omit=("validity",)
        )
    ]
    fake = fake_github(org)
    token = token_for(fake)
    (alert,) = call(fake, "GET", "/orgs/acme/dependabot/alerts", token).json()
    assert alert["dependency"]["package"] == {"ecosystem": "maven", "name": "org.example:lib"}
    assert alert["dependency"]["scope"] is None and "manifest_path" not in alert["dependency"]
    assert alert["security_advisory"]["cvss_severities"]["cvss_v4"]["score"] == 9.1
    assert "cvss_v3" not in alert["security_advisory"]["cvss_severities"]
    assert alert["security_advisory"]["epss"]["percentage"] == 0.2
    assert alert["security_vulnerability"]["first_patched_version"] is None
    path = "/orgs/acme/secret-scanning/alerts?secret_type=rsa_private_key"
    (secret,) = call(fake, "GET", path, token).json()
    assert secret["provider"] is None and "validity" not in secret
    assert secret["secret_type_display_name"] == "RSA Private Key"


def test_alert_shapes_and_filters(fake: FakeGitHub, token: str) -> None:
    dependabot = call(fake, "GET", "/orgs/acme/dependabot/alerts?state=open", token).json()
    assert {(a["repository"]["name"], a["number"]) for a in dependabot} == {
        ("api", 1),
        ("Legacy_Tool", 1),
    }
    alert = next(a for a in dependabot if a["repository"]["name"] == "api")
    assert alert["html_url"] == "https://github.com/acme/api/security/dependabot/1"
    assert alert["security_advisory"]["severity"] == "critical"
    assert alert["security_vulnerability"]["severity"] == "critical"
    assert alert["repository"]["full_name"] == "acme/api"
    assert alert["repository"]["private"] is False
    shown = call(fake, "GET", "/orgs/acme/secret-scanning/alerts?state=open", token).json()
    assert [a["secret"] for a in shown] == ["ghp_canary"]
    path = "/orgs/acme/secret-scanning/alerts?state=open&hide_secret=true"
    hidden = call(fake, "GET", path, token).json()
    assert len(hidden) == 1 and "secret" not in hidden[0]
    assert hidden[0]["html_url"] == "https://github.com/acme/api/security/secret-scanning/1"
    assert call(fake, "GET", "/orgs/acme/dependabot/alerts?state=bogus", token).status == 422


def test_feature_off_answers_403(fake_github: FakeGitHubFactory) -> None:
    org = small_org()
    org.dependabot_enabled = False
    org.secret_scanning_enabled = False
    fake = fake_github(org)
    token = token_for(fake)
    for path in ("/orgs/acme/dependabot/alerts", "/orgs/acme/secret-scanning/alerts"):
        answer = call(fake, "GET", path, token)
        assert answer.status == 403
        assert "disabled" in answer.json()["message"]


# -- faults ----------------------------------------------------------------


def test_next_n_server_errors_then_success(fake: FakeGitHub, token: str) -> None:
    fake.faults.server_errors = 2
    fake.faults.server_error_status = 503
    statuses = [call(fake, "GET", "/orgs/acme/repos", token).status for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert [entry.status for entry in fake.stats.log[-3:]] == [503, 503, 200]


def test_server_error_rate_is_seeded(fake_github: FakeGitHubFactory) -> None:
    def statuses() -> list[int]:
        fake = fake_github(faults=Faults(server_error_rate=0.5, seed=7, fault_routes={"org_repos"}))
        token = token_for(fake)
        return [call(fake, "GET", "/orgs/acme/repos", token).status for _ in range(20)]

    first = statuses()
    assert 5 <= first.count(502) <= 15 and first.count(200) + first.count(502) == 20
    assert first == statuses()


@pytest.mark.parametrize("retry_after", ["30", "abc", None])
def test_secondary_limit(fake: FakeGitHub, token: str, retry_after: str | None) -> None:
    fake.faults.secondary_limits = 1
    fake.faults.retry_after = retry_after
    limited = call(fake, "GET", "/orgs/acme/repos", token)
    assert limited.status == 403
    assert limited.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert limited.headers.get("retry-after") == retry_after
    assert int(limited.headers["x-ratelimit-remaining"]) > 0
    assert call(fake, "GET", "/orgs/acme/repos", token).status == 200


def test_primary_budget_exhaustion_and_reset(fake_github: FakeGitHubFactory) -> None:
    clock = ManualClock(start=1_800_000_000.0)
    fake = fake_github(clock=clock, faults=Faults(rest_budget=2, rate_limit_window=100))
    token = token_for(fake, now=clock.time())
    assert [call(fake, "GET", "/orgs/acme/repos", token).status for _ in range(2)] == [200, 200]
    limited = call(fake, "GET", "/orgs/acme/repos", token)
    assert limited.status == 403
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["x-ratelimit-reset"] == "1800000100"
    assert "rate limit exceeded" in limited.json()["message"]
    clock.advance(100)
    assert call(fake, "GET", "/orgs/acme/repos", token).status == 200


def test_reset_reported_in_the_past(fake_github: FakeGitHubFactory) -> None:
    clock = ManualClock(start=1_800_000_000.0)
    faults = Faults(rest_budget=1, rate_limit_reset_skew=-7200)
    fake = fake_github(clock=clock, faults=faults)
    token = token_for(fake, now=clock.time())
    call(fake, "GET", "/orgs/acme/repos", token)
    limited = call(fake, "GET", "/orgs/acme/repos", token)
    assert limited.status == 403
    assert int(limited.headers["x-ratelimit-reset"]) < clock.time()


def test_failing_route_is_permanent(fake: FakeGitHub, token: str) -> None:
    fake.faults.failing_routes = {"org_members": 500}
    assert [call(fake, "GET", "/orgs/acme/members", token).status for _ in range(3)] == [500] * 3
    assert call(fake, "GET", "/orgs/acme/repos", token).status == 200


def test_fault_routes_limit_counted_faults(fake: FakeGitHub, token: str) -> None:
    fake.faults.fault_routes = {"org_members"}
    fake.faults.server_errors = 1
    assert call(fake, "GET", "/orgs/acme/repos", token).status == 200
    assert call(fake, "GET", "/orgs/acme/members", token).status == 502


def test_concurrency_cap_and_peak(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github(faults=Faults(latency=0.2, max_concurrency=3))
    token = token_for(fake)
    fake.reset_stats()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda _: call(fake, "GET", "/orgs/acme/repos", token).status, range(8))
        )
    assert statuses.count(200) >= 3
    assert statuses.count(403) >= 1
    assert fake.stats.peak_concurrency >= 4


@pytest.mark.parametrize("mode", ["html", "truncated", "wrong_shape"])
def test_hostile_bodies(fake: FakeGitHub, token: str, mode: str) -> None:
    fake.faults.hostile = {"org_repos": mode}
    answer = call(fake, "GET", "/orgs/acme/repos", token)
    assert answer.status == 200
    if mode == "wrong_shape":
        assert isinstance(answer.json(), dict)
    else:
        with pytest.raises(ValueError):
            json.loads(answer.data)
    assert call(fake, "GET", "/orgs/acme/members", token).json()[0]["login"] == "alice"


def test_hostile_cut_connection(fake: FakeGitHub, token: str) -> None:
    fake.faults.hostile = {"org_repos": "cut"}
    with pytest.raises(urllib3.exceptions.ProtocolError):
        call(fake, "GET", "/orgs/acme/repos", token)
    assert call(fake, "GET", "/orgs/acme/members", token).status == 200


def test_hostile_link_header(fake: FakeGitHub, token: str) -> None:
    fake.faults.hostile = {"org_members": "bad_link"}
    answer = call(fake, "GET", "/orgs/acme/members", token)
    assert answer.status == 200
    assert next_link(answer) is None
    assert "rel=next" in answer.headers["link"]


def test_faults_naming_no_route_fail_loudly(fake: FakeGitHub, token: str) -> None:
    assert {name for _, _, name in fake_server._ROUTES} == set(ROUTE_NAMES)
    fake.faults.failing_routes = {"org_member": 500}  # misspelt: would never fail
    answer = call(fake, "GET", "/orgs/acme/members", token)
    assert answer.status == 500
    assert "internal error" in answer.json()["message"]


def test_token_ttl_fault_shortens_tokens(fake_github: FakeGitHubFactory) -> None:
    clock = ManualClock(start=1_800_000_000.0)
    fake = fake_github(clock=clock, faults=Faults(token_ttl=120.0))
    token = token_for(fake, now=clock.time())
    assert call(fake, "GET", "/orgs/acme/repos", token).status == 200
    clock.advance(121)
    assert call(fake, "GET", "/orgs/acme/repos", token).status == 401


def test_latency_is_added_to_each_request(fake: FakeGitHub, token: str) -> None:
    fake.faults.latency = 0.15
    started = time.perf_counter()
    assert call(fake, "GET", "/orgs/acme/repos", token).status == 200
    assert time.perf_counter() - started >= 0.15


def test_faults_can_be_set_over_http(fake: FakeGitHub, token: str) -> None:
    changes = {"server_errors": 1, "fault_routes": ["org_members"], "retry_after": None}
    answer = call(fake, "POST", "/_fake/faults", body=changes)
    assert answer.status == 200 and answer.json()["fault_routes"] == ["org_members"]
    assert fake.faults.fault_routes == {"org_members"} and fake.faults.server_errors == 1
    assert call(fake, "GET", "/orgs/acme/members", token).status == 502
    assert call(fake, "POST", "/_fake/faults", body={"bogus": 1}).status == 400
    assert call(fake, "POST", "/_fake/expire_tokens").status == 200
    assert call(fake, "GET", "/orgs/acme/members", token).status == 401


def test_stats_are_exact_under_concurrency(fake: FakeGitHub, token: str) -> None:
    fake.reset_stats()
    query = {"query": '{ repository(owner: "acme", name: "api") { name } }'}

    def one(i: int) -> int:
        if i % 2:
            return call(fake, "POST", "/graphql", token, body=query).status
        return call(fake, "GET", "/orgs/acme/repos", token).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(one, range(64)))
    assert statuses == [200] * 64
    assert fake.stats.total == 64 and len(fake.stats.log) == 64
    assert fake.stats.by_route == {"org_repos": 32, "graphql": 32}
    assert fake.stats.graphql_points == 32
    assert fake.core.peek().used == 32 and fake.stats.in_flight == 0


def test_stats_count_routes_and_log(fake: FakeGitHub, token: str) -> None:
    call(fake, "GET", "/orgs/acme/repos?per_page=100", token)
    stats = json.loads(HTTP.request("GET", fake.url + "/_fake/stats").data)
    assert stats["by_route"] == {"installation": 1, "access_tokens": 1, "org_repos": 1}
    assert fake.stats.log[-1] == ("GET", "org_repos", "/orgs/acme/repos?per_page=100", 200)
    assert fake.stats.routes() == ["installation", "access_tokens", "org_repos"]
    fake.reset_stats()
    assert fake.stats.total == 0


# -- out of process ---------------------------------------------------------


def test_cli_serves_until_terminated(tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    process = subprocess.Popen(  # noqa: S603 - our own module
        [
            sys.executable,
            "-m",
            "tests.fake_github",
            "--org",
            "tests.fake_github.samples:generated_org",
            "--org-arg",
            "12",
            "--port",
            "0",
            "--key-file",
            str(key_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert info["org"] == "bigco" and info["key_file"] == str(key_file)
        assert key_file.stat().st_mode & 0o777 == 0o600
        key = key_file.read_text()
        assertion = make_jwt(key, iss=info["client_id"])
        answer = HTTP.request(
            "GET",
            info["url"] + "/orgs/bigco/installation",
            headers={**UA, "Authorization": f"Bearer {assertion}"},
        )
        assert answer.status == 200
        stats = json.loads(HTTP.request("GET", info["url"] + "/_fake/stats").data)
        assert stats["by_route"] == {"installation": 1}
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


# -- GraphQL ---------------------------------------------------------------

REPO_FIELDS = """
  name nameWithOwner url visibility isArchived isFork isTemplate isEmpty createdAt pushedAt
  hasVulnerabilityAlertsEnabled
  defaultBranchRef { name target { ... on Commit {
    history(first: 15) { totalCount pageInfo { hasNextPage endCursor }
      nodes { oid signature { isValid } } } } } }
  refs(refPrefix: "refs/heads/", first: 100) { totalCount pageInfo { hasNextPage endCursor }
    nodes { name branchProtectionRule { id pattern } rules(first: 1) { totalCount } } }
  root: object(expression: "HEAD:") { ... on Tree { entries { name type path } } }
  github: object(expression: "HEAD:.github") { ... on Tree { entries { name type path } } }
  codeowners: object(expression: "HEAD:.github/CODEOWNERS") {
    ... on Blob { text byteSize isBinary isTruncated } }
  pullRequests(states: OPEN, first: 50) { totalCount pageInfo { hasNextPage endCursor }
    nodes { number author { __typename login } } }
"""


def batch_query(names: list[str]) -> str:
    aliases = "\n".join(
        f'r{i}: repository(owner: $org, name: "{name}") {{ ...RepoFacts }}'
        for i, name in enumerate(names)
    )
    return (
        f"query($org: String!) {{ {aliases}\n rateLimit {{ cost remaining nodeCount }} }}\n"
        f"fragment RepoFacts on Repository {{ {REPO_FIELDS} }}"
    )


def test_graphql_repository_facts(fake: FakeGitHub, token: str) -> None:
    status, body = graphql(fake, token, batch_query(["api", "empty"]), {"org": "acme"})
    assert status == 200 and "errors" not in body, body
    api, empty = body["data"]["r0"], body["data"]["r1"]
    assert api["visibility"] == "PUBLIC" and api["url"] == "https://github.com/acme/api"
    history = api["defaultBranchRef"]["target"]["history"]
    assert [n["signature"] for n in history["nodes"]] == [{"isValid": True}, None]
    refs = {n["name"]: n for n in api["refs"]["nodes"]}
    assert refs["main"]["branchProtectionRule"]["pattern"] == "main"
    assert refs["dev"]["branchProtectionRule"] is None and refs["dev"]["rules"]["totalCount"] == 0
    assert refs["rel"]["rules"]["totalCount"] == 1
    root = {e["name"]: e["type"] for e in api["root"]["entries"]}
    assert root == {
        ".github": "tree",
        ".gitignore": "blob",
        "LICENSE": "blob",
        "README.md": "blob",
        "docs": "tree",
    }
    assert api["github"]["entries"] == [
        {"name": "CODEOWNERS", "type": "blob", "path": ".github/CODEOWNERS"}
    ]
    assert api["codeowners"]["text"] == "* @alice @acme/core\n"
    authors = [n["author"] for n in api["pullRequests"]["nodes"]]
    assert authors == [
        {"__typename": "User", "login": "mallory"},
        {"__typename": "Bot", "login": "dependabot"},
        None,
    ]
    assert empty["isEmpty"] is True and empty["defaultBranchRef"] is None
    assert empty["root"] is None and empty["codeowners"] is None


def test_graphql_misspelled_field_is_rejected(fake: FakeGitHub, token: str) -> None:
    query = '{ repository(owner: "acme", name: "api") { nmae } }'
    status, body = graphql(fake, token, query)
    assert status == 200 and "data" not in body
    [error] = body["errors"]
    assert error["message"] == "Field 'nmae' doesn't exist on type 'Repository'"
    assert error["extensions"]["code"] == "undefinedField"
    assert error["locations"] == [{"line": 1, "column": 44}]


def test_graphql_syntax_error(fake: FakeGitHub, token: str) -> None:
    status, body = graphql(fake, token, "{ repository(owner: ")
    assert status == 200 and body["errors"][0]["message"].startswith("Syntax Error")


@pytest.mark.parametrize(
    ("query", "variables", "kind", "text"),
    [
        (
            '{ organization(login: "acme") { repositories(first: 101) { totalCount } } }',
            {},
            "EXCESSIVE_PAGINATION",
            "Requesting 101 records on the `repositories` connection exceeds the `first` limit",
        ),
        (
            'query($n: Int) { organization(login: "acme") { repositories(first: $n) { totalCount } } }',  # noqa: E501
            {"n": 500},
            "EXCESSIVE_PAGINATION",
            "Requesting 500 records",
        ),
        (
            '{ organization(login: "acme") { repositories { totalCount } } }',
            {},
            "MISSING_PAGINATION_BOUNDARIES",
            "You must provide a `first` or `last` value to properly paginate the `repositories`",
        ),
        (
            '{ repository(owner: "acme", name: "api") { refs(refPrefix: "refs/heads/", last: 0)'
            " { totalCount } } }",
            {},
            "EXCESSIVE_PAGINATION",
            "below the `last` minimum",
        ),
        (
            '{ organization(login: "acme") { repositories(first: 5, last: 5) { totalCount } } }',
            {},
            "EXCESSIVE_PAGINATION",
            "Passing both `first` and `last` to paginate the `repositories` connection",
        ),
        (
            '{ organization(login: "acme") { repositories(first: 100) { nodes {'
            ' refs(refPrefix: "refs/heads/", first: 100) { nodes {'
            " target { ... on Commit { history(first: 100) { totalCount } } } } } } } } }",
            {},
            "MAX_NODE_LIMIT_EXCEEDED",
            "requesting up to 1,010,100 possible nodes which exceeds the maximum limit of 500,000",
        ),
    ],
)
def test_graphql_pagination_limits(  # noqa: PLR0917 - parametrized
    fake: FakeGitHub, token: str, query: str, variables: dict[str, Any], kind: str, text: str
) -> None:
    status, body = graphql(fake, token, query, variables)
    assert status == 200 and "data" not in body
    [error] = body["errors"]
    assert error["type"] == kind
    assert text in error["message"]
    assert fake.stats.graphql_points == 0


def test_graphql_not_found_alias_with_partial_data(fake: FakeGitHub, token: str) -> None:
    query = (
        'query { a: repository(owner: "acme", name: "api") { name }'
        ' b: repository(owner: "acme", name: "gone") { name }'
        ' u: user(login: "nobody") { login } }'
    )
    status, body = graphql(fake, token, query)
    assert status == 200
    assert body["data"] == {"a": {"name": "api"}, "b": None, "u": None}
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert errors[("b",)]["type"] == "NOT_FOUND"
    assert (
        errors[("b",)]["message"] == "Could not resolve to a Repository with the name 'acme/gone'."
    )
    assert errors[("u",)]["message"] == "Could not resolve to a User with the login of 'nobody'."
    assert "locations" in errors[("b",)]


def test_graphql_unimplemented_field_is_an_explicit_error(fake: FakeGitHub, token: str) -> None:
    query = '{ repository(owner: "acme", name: "api") { name stargazerCount } }'
    status, body = graphql(fake, token, query)
    assert status == 200
    assert body["errors"][0]["type"] == "FAKE_NOT_IMPLEMENTED"
    assert "Repository.stargazerCount" in body["errors"][0]["message"]
    unsupported = '{ repository(owner: "acme", name: "api") { pullRequests(first: 5, labels: ["x"]) { totalCount } } }'  # noqa: E501
    assert "argument 'labels'" in graphql(fake, token, unsupported)[1]["errors"][0]["message"]


def test_graphql_cursor_paging_and_filters(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github(generated_org(250))
    token = token_for(fake)
    query = """query($after: String) { organization(login: "bigco") {
      repositories(first: 100, after: $after, isArchived: false, orderBy: {field: NAME, direction: ASC}) {
        totalCount pageInfo { hasNextPage endCursor } nodes { name isArchived } } } }"""  # noqa: E501
    names: list[str] = []
    after = None
    pages = 0
    while True:
        status, body = graphql(fake, token, query, {"after": after})
        assert status == 200 and "errors" not in body, body
        connection = body["data"]["organization"]["repositories"]
        names += [n["name"] for n in connection["nodes"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    expected = sorted(r.name for r in fake.org.repositories if not r.archived)
    assert names == expected and connection["totalCount"] == 225 and pages == 3
    bad = graphql(fake, token, query, {"after": "not-a-cursor"})[1]
    assert "does not appear to be a valid cursor" in bad["errors"][0]["message"]


def test_graphql_people(fake: FakeGitHub, token: str) -> None:
    query = """{ organization(login: "acme") {
        membersWithRole(first: 100) { nodes { login } }
        core: team(slug: "core") { maintainers: members(role: MAINTAINER, first: 100) { nodes { login } }
                                   all: members(first: 100) { totalCount } }
        ghost: team(slug: "ghost") { slug } }
      alice: user(login: "alice") { login organizationVerifiedDomainEmails(login: "acme") }
      bob: user(login: "bob") { organizationVerifiedDomainEmails(login: "acme") } }"""  # noqa: E501
    status, body = graphql(fake, token, query)
    assert status == 200 and "errors" not in body, body
    org = body["data"]["organization"]
    assert [n["login"] for n in org["membersWithRole"]["nodes"]] == ["alice", "bob"]
    assert org["core"]["maintainers"]["nodes"] == [{"login": "alice"}]
    assert org["core"]["all"]["totalCount"] == 2
    assert org["ghost"] is None
    assert body["data"]["alice"]["organizationVerifiedDomainEmails"] == ["alice@acme.example"]
    assert body["data"]["bob"]["organizationVerifiedDomainEmails"] == []


def test_graphql_cost_rate_limit_and_headers(fake: FakeGitHub, token: str) -> None:
    query = """{ organization(login: "acme") { repositories(first: 100) { nodes {
        refs(refPrefix: "refs/heads/", first: 100) { totalCount } } } }
      rateLimit { cost limit remaining used nodeCount resetAt } }"""
    answer = call(fake, "POST", "/graphql", token, body={"query": query})
    rate = answer.json()["data"]["rateLimit"]
    # 1 request for repositories + 100 for refs = 101 -> 1 point; 100 + 10,000 nodes
    assert rate["cost"] == 1 and rate["nodeCount"] == 10_100
    assert rate["limit"] == 5000 and rate["remaining"] == 4999 and rate["used"] == 1
    assert answer.headers["x-ratelimit-resource"] == "graphql"
    assert answer.headers["x-ratelimit-remaining"] == "4999"
    heavy = """{ organization(login: "acme") { repositories(first: 100) { nodes {
        refs(refPrefix: "refs/heads/", first: 100) { nodes {
          rules(first: 10) { totalCount } } } } } } rateLimit { cost } }"""
    # 1 + 100 + 100*100 = 10,101 requests -> 101 points
    assert graphql(fake, token, heavy)[1]["data"]["rateLimit"]["cost"] == 101
    assert fake.stats.graphql_points == 102
    assert int(call(fake, "GET", "/orgs/acme/repos", token).headers["x-ratelimit-used"]) == 1


RULESETS_QUERY = """query($name: String!, $after: String, $parents: Boolean!) {
  repository(owner: "acme", name: $name) {
    rulesets(first: 2, after: $after, includeParents: $parents) {
      totalCount pageInfo { hasNextPage endCursor } nodes { name enforcement } } } }"""


def test_graphql_rulesets_count_active_and_other_rulesets(fake_github: FakeGitHubFactory) -> None:
    org = small_org()
    org.repositories.append(Repository("evaluate-only", rulesets=2))
    api = org.repository("api")
    assert api is not None
    api.rulesets = 3  # "rel" is protected by one of them
    fake = fake_github(org)
    token = token_for(fake)
    variables: dict[str, Any] = {"name": "api", "after": None, "parents": True}
    first = graphql(fake, token, RULESETS_QUERY, variables)[1]["data"]["repository"]["rulesets"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    assert first["nodes"] == [
        {"name": "ruleset-1", "enforcement": "ACTIVE"},
        {"name": "ruleset-2", "enforcement": "EVALUATE"},
    ]
    variables["after"] = first["pageInfo"]["endCursor"]
    second = graphql(fake, token, RULESETS_QUERY, variables)[1]["data"]["repository"]["rulesets"]
    assert second["nodes"] == [{"name": "ruleset-3", "enforcement": "EVALUATE"}]
    assert second["pageInfo"]["hasNextPage"] is False
    derived = {"name": "internal-docs", "after": None, "parents": True}
    answer = graphql(fake, token, RULESETS_QUERY, derived)[1]["data"]["repository"]["rulesets"]
    assert answer["totalCount"] == 0 and answer["nodes"] == []
    evaluate = {"name": "evaluate-only", "after": None, "parents": True}
    answer = graphql(fake, token, RULESETS_QUERY, evaluate)[1]["data"]["repository"]["rulesets"]
    assert answer["totalCount"] == 2
    assert {node["enforcement"] for node in answer["nodes"]} == {"EVALUATE"}
    own_only = {"name": "api", "after": None, "parents": False}
    errors = graphql(fake, token, RULESETS_QUERY, own_only)[1]["errors"]
    assert errors[0]["type"] == "FAKE_NOT_IMPLEMENTED" and "includeParents" in errors[0]["message"]


def test_graphql_ref_by_qualified_name(fake: FakeGitHub, token: str) -> None:
    query = """query($a: String!, $b: String!, $c: String!, $d: String!) {
      repository(owner: "acme", name: "api") {
        a: ref(qualifiedName: $a) { name prefix rules(first: 1) { totalCount } }
        b: ref(qualifiedName: $b) {
          name branchProtectionRule { id } rules(first: 1) { totalCount } }
        c: ref(qualifiedName: $c) { name } d: ref(qualifiedName: $d) { name } } }"""
    variables = {"a": "refs/heads/rel", "b": "dev", "c": "refs/heads/nope", "d": "refs/tags/rel"}
    status, body = graphql(fake, token, query, variables)
    assert status == 200 and "errors" not in body, body
    repo = body["data"]["repository"]
    assert repo["a"] == {"name": "rel", "prefix": "refs/heads/", "rules": {"totalCount": 1}}
    assert repo["b"] == {"name": "dev", "branchProtectionRule": None, "rules": {"totalCount": 0}}
    assert repo["c"] is None and repo["d"] is None


def test_graphql_cost_of_the_collectors_shapes(fake: FakeGitHub, token: str) -> None:
    """GitHub's formula: each connection costs the product of its enclosing connections'
    sizes (not its own); summed, / 100, rounded, at least 1. Scalars cost nothing."""

    def cost(query: str) -> int:
        status, body = graphql(fake, token, query)
        assert status == 200 and "errors" not in body, body
        return int(body["data"]["rateLimit"]["cost"])

    def repos(selection: str, count: int) -> str:
        fields = " ".join(
            f'r{i}: repository(owner: "acme", name: "api") {{ {selection} }}' for i in range(count)
        )
        return f"{{ {fields} rateLimit {{ cost }} }}"

    refs = 'refs(refPrefix: "refs/heads/", first: 100) { nodes { name branchProtectionRule { id }'
    # 50 x (refs 1 + rules under 100 refs 100) = 5,050 requests -> 51 points.
    assert cost(repos(f"{refs} rules(first: 1) {{ totalCount }} }} }}", 50)) == 51
    # 50 x (refs 1 + rulesets 1 + pullRequests 1) = 150 -> 2 (1.5 rounds up).
    facts = (
        f"name isEmpty {refs} }} }} rulesets(first: 1, includeParents: true) {{ totalCount }} "
        "pullRequests(states: OPEN, first: 100) { nodes { author { login } } }"
    )
    assert cost(repos(facts, 50)) == 2
    # 100 refs' rules(first: 1), one request each -> 1 point; 149 -> 1; 151 -> 2.
    rules = 'ref(qualifiedName: "rel") { rules(first: 1) { totalCount } }'
    assert cost(repos(rules, 100)) == 1
    assert cost(repos(rules, 149)) == 1
    assert cost(repos(rules, 151)) == 2
    # No connection at all: the minimum of 1.
    assert cost(repos("name visibility", 10)) == 1


def test_graphql_budget_exhaustion(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github(faults=Faults(graphql_budget=2))
    token = token_for(fake)
    query = '{ repository(owner: "acme", name: "api") { name } }'
    assert [graphql(fake, token, query)[0] for _ in range(2)] == [200, 200]
    answer = call(fake, "POST", "/graphql", token, body={"query": query})
    assert answer.status == 403 and answer.headers["x-ratelimit-remaining"] == "0"
    fake.faults.graphql_exhausted_style = "rate_limited"
    status, body = graphql(fake, token, query)
    assert status == 200 and body["errors"][0]["type"] == "RATE_LIMITED"


def test_graphql_rate_limited_fault(fake: FakeGitHub, token: str) -> None:
    fake.faults.graphql_rate_limited = 1
    query = '{ repository(owner: "acme", name: "api") { name } }'
    status, body = graphql(fake, token, query)
    assert status == 200 and body["errors"][0]["type"] == "RATE_LIMITED" and "data" not in body
    assert graphql(fake, token, query)[1]["data"] == {"repository": {"name": "api"}}


def test_graphql_heavy_query_answers_502(fake: FakeGitHub, token: str) -> None:
    fake.faults.graphql_node_threshold = 1000
    heavy = batch_query(["api"] * 20)  # 20 x (15 + 100 + 100 + 50) nodes
    light = batch_query(["api"] * 2)
    answer = call(
        fake, "POST", "/graphql", token, body={"query": heavy, "variables": {"org": "acme"}}
    )
    assert answer.status == 502
    assert "timeout" in answer.json()["errors"][0]["message"]
    assert graphql(fake, token, light, {"org": "acme"})[0] == 200


@pytest.mark.parametrize("mode", ["html", "truncated", "wrong_shape"])
def test_graphql_hostile_answers(fake: FakeGitHub, token: str, mode: str) -> None:
    fake.faults.hostile = {"graphql": mode}
    answer = call(fake, "POST", "/graphql", token, body={"query": "{ rateLimit { cost } }"})
    assert answer.status == 200
    if mode == "wrong_shape":
        assert isinstance(answer.json(), list)
    else:
        with pytest.raises(ValueError):
            json.loads(answer.data)


def test_graphql_needs_a_token(fake: FakeGitHub) -> None:
    answer = call(fake, "POST", "/graphql", None, body={"query": "{ rateLimit { cost } }"})
    assert answer.status == 401


def test_graphql_batch_of_50_is_fast(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github(generated_org(2000))
    token = token_for(fake)
    query = batch_query([f"repo-{i:05d}" for i in range(1000, 1050)])
    graphql(fake, token, query, {"org": "bigco"})  # warm the schema and document cache
    started = time.perf_counter()
    status, body = graphql(fake, token, query, {"org": "bigco"})
    elapsed = time.perf_counter() - started
    assert status == 200 and "errors" not in body and len(body["data"]) == 51
    print(f"50-repository batch query: {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0


def test_a_new_query_sent_by_many_threads_at_once_is_analysed_once() -> None:
    """Single flight: the first 50-repository batch, sent by 8 threads together, is parsed once."""
    org = small_org()
    analysed: list[str] = []

    class CountingEngine(GraphQLEngine):
        def _analysed_document(self, query: str) -> Any:
            analysed.append(query)
            return super()._analysed_document(query)

    engine = CountingEngine(org, RestApi(org))
    engine.schema  # noqa: B018 - build the schema first, so the threads race on the query
    query = repository_facts_query(50, 15)
    start = threading.Barrier(8)

    def first_send() -> Any:
        start.wait()
        return engine._document(query)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: first_send(), range(8)))
    assert len(analysed) == 1
    assert all(result is results[0] for result in results)
    assert results[0][1] == []  # the collectors' query is valid


# -- blobs: GraphQL's 512,000-byte cut and the REST git/blobs route --------------------------

BLOB_FIELDS = "{ ... on Blob { oid byteSize isTruncated text } }"


def large_files_org() -> Organization:
    """``api`` with files around GitHub's 512,000-byte cut of ``Blob.text``."""
    org = small_org()
    api = next(repo for repo in org.repositories if repo.name == "api")
    api.files.update(
        {
            "exact.txt": "a" * 512_000,  # exactly the limit: whole
            "two.txt": "a" * 511_999 + "é" + "tail",  # é's bytes are 511,999 and 512,000
            "four.txt": "a" * 511_998 + "\U0001f600" + "tail",  # emoji: bytes 511,998..512,001
        }
    )
    return org


def test_graphql_blob_text_is_cut_at_512000_bytes_on_a_character_boundary(
    fake_github: FakeGitHubFactory,
) -> None:
    fake = fake_github(large_files_org())
    aliases = {"exact": "exact.txt", "two": "two.txt", "four": "four.txt"}
    fields = " ".join(
        f'{alias}: object(expression: "HEAD:{path}") {BLOB_FIELDS}'
        for alias, path in aliases.items()
    )
    status, body = graphql(
        fake, token_for(fake), f'{{ repository(owner: "acme", name: "api") {{ {fields} }} }}'
    )
    assert status == 200 and "errors" not in body, body
    repo = body["data"]["repository"]
    exact, two, four = repo["exact"], repo["two"], repo["four"]
    assert (exact["isTruncated"], exact["byteSize"], exact["text"]) == (
        False,
        512_000,
        "a" * 512_000,
    )
    assert (two["isTruncated"], two["byteSize"]) == (True, 512_005)
    assert two["text"] == "a" * 511_999  # never half a character
    assert (four["isTruncated"], four["byteSize"]) == (True, 512_006)
    assert four["text"] == "a" * 511_998


def test_graphql_blob_oid_is_gits_blob_id(fake: FakeGitHub, token: str) -> None:
    text = "* @alice @acme/core\n"
    expected = (
        subprocess.run(
            ["git", "hash-object", "--stdin"],  # noqa: S607 - git from PATH, fixed arguments
            input=text.encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    query = '{ repository(owner: "acme", name: "api") { c: object(expression: '
    query += f'"HEAD:.github/CODEOWNERS") {BLOB_FIELDS} }} }}'
    status, body = graphql(fake, token, query)
    assert status == 200 and "errors" not in body, body
    assert body["data"]["repository"]["c"]["oid"] == expected
    assert expected == "5fc4a263b63e24486319d8047e4a1d45c2614733"


def test_git_blobs_route_answers_githubs_shape(fake_github: FakeGitHubFactory) -> None:
    fake = fake_github(large_files_org())
    token = token_for(fake)
    text = "a" * 511_998 + "\U0001f600" + "tail"
    data = text.encode()
    sha = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
    answer = call(fake, "GET", f"/repos/acme/api/git/blobs/{sha}", token)
    assert answer.status == 200
    blob = answer.json()
    assert set(blob) == {"sha", "node_id", "size", "url", "content", "encoding"}
    assert (blob["sha"], blob["size"], blob["encoding"]) == (sha, len(data), "base64")
    assert blob["url"] == f"https://api.github.com/repos/acme/api/git/blobs/{sha}"
    lines = blob["content"].split("\n")
    assert lines[-1] == "" and {len(line) for line in lines[:-2]} == {60}
    assert 0 < len(lines[-2]) <= 60
    assert base64.b64decode(blob["content"].replace("\n", ""), validate=True) == data
    assert answer.headers["x-ratelimit-resource"] == "core"
    assert int(answer.headers["x-ratelimit-remaining"]) == 4999
    assert fake.stats.by_route["git_blobs"] == 1


def test_git_blobs_route_refuses_unknown_blobs_and_missing_tokens(
    fake: FakeGitHub, token: str
) -> None:
    known = hashlib.sha1(b"blob 6\0# api\n", usedforsecurity=False).hexdigest()
    assert call(fake, "GET", f"/repos/acme/api/git/blobs/{known}", token).status == 200
    for path in (f"/repos/acme/api/git/blobs/{'0' * 40}", f"/repos/acme/nope/git/blobs/{known}"):
        unknown = call(fake, "GET", path, token)
        assert unknown.status == 404 and unknown.json()["message"] == "Not Found"
        assert "x-ratelimit-remaining" in unknown.headers
    assert call(fake, "GET", f"/repos/acme/api/git/blobs/{known}").status == 401
