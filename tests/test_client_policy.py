"""Pure parts of the client: retry classification and waits, Link parsing, URLs, JWT claims.

No network: tables of literal inputs, plus hypothesis properties for the Link parser.
"""

from __future__ import annotations

import calendar
import random
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from urllib3 import HTTPHeaderDict

from github_client import ManualClock, Response, graphql_url_for
from github_client.auth import (
    AppJwt,
    InstallationToken,
    TokenCache,
    jwt_claims,
    parse_expires_at,
    refresh_time,
)
from github_client.client import decode_json, graphql_shape_problem, list_items
from github_client.errors import GraphQLError, HTTPStatusError, RateLimitExceeded
from github_client.keys import parse_private_key
from github_client.links import LinkHeaderError, parse_link_header
from github_client.retry import (
    BACKOFF_CAP,
    RetryState,
    Verdict,
    backoff,
    classify,
    parse_retry_after,
    wait_for,
)
from github_client.urls import ApiBase, ForeignURLError, display_path, encode_params

NOW = 1_800_000_000.0
SECONDARY_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes."


def answer(status: int, data: Any = None, **headers: str) -> Response:
    hdrs = HTTPHeaderDict({k.replace("_", "-"): v for k, v in headers.items()})
    return Response(status, hdrs, data, "https://api.github.com/x")


# -- classify ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (answer(200, []), Verdict.NONE),
        (answer(201, {"token": "x"}), Verdict.NONE),
        (answer(500), Verdict.SERVER_ERROR),
        (answer(502), Verdict.SERVER_ERROR),
        (answer(503), Verdict.SERVER_ERROR),
        (answer(504), Verdict.SERVER_ERROR),
        (answer(501), Verdict.NONE),
        (answer(401, {"message": "Bad credentials"}), Verdict.UNAUTHORIZED),
        (answer(400, {"message": "Bad request"}), Verdict.NONE),
        (answer(404, {"message": "Not Found"}), Verdict.NONE),
        (answer(410, {"message": "Gone"}), Verdict.NONE),
        (answer(422, {"message": "Validation Failed"}), Verdict.NONE),
        # A 403 that is not a limit (missing permission) is final.
        (
            answer(
                403,
                {"message": "Resource not accessible by integration"},
                **{"x-ratelimit-remaining": "4999"},
            ),
            Verdict.NONE,
        ),
        (
            answer(403, {"message": "API rate limit exceeded"}, **{"x-ratelimit-remaining": "0"}),
            Verdict.PRIMARY_LIMIT,
        ),
        (answer(429, {"message": "x"}, **{"x-ratelimit-remaining": "0"}), Verdict.PRIMARY_LIMIT),
        # The secondary-limit message wins even when remaining happens to be 0.
        (
            answer(403, {"message": SECONDARY_MESSAGE}, **{"x-ratelimit-remaining": "0"}),
            Verdict.SECONDARY_LIMIT,
        ),
        (answer(403, {"message": SECONDARY_MESSAGE}), Verdict.SECONDARY_LIMIT),
        (answer(403, {"message": "abuse detection mechanism"}), Verdict.SECONDARY_LIMIT),
        (answer(403, {"message": "slow down"}, retry_after="30"), Verdict.SECONDARY_LIMIT),
        (answer(429, None), Verdict.SECONDARY_LIMIT),
        (answer(403, "<html>", retry_after="5"), Verdict.SECONDARY_LIMIT),
        (
            answer(200, {"errors": [{"type": "RATE_LIMITED", "message": "x"}]}),
            Verdict.GRAPHQL_RATE_LIMITED,
        ),
        (answer(200, {"data": None, "errors": [{"type": "NOT_FOUND"}]}), Verdict.NONE),
        (answer(200, {"errors": "RATE_LIMITED"}), Verdict.NONE),
    ],
)
def test_classify(response: Response, expected: Verdict) -> None:
    assert classify(response) is expected


def test_classify_reads_headers_case_insensitively_from_plain_dicts() -> None:
    response = Response(403, {"X-RateLimit-Remaining": "0"}, {"message": "x"}, "u")
    assert classify(response) is Verdict.PRIMARY_LIMIT


# -- waits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("abc", 60.0),
        ("", 60.0),
        ("-5", 60.0),
        ("nan", 60.0),
        ("inf", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


@pytest.mark.parametrize(
    ("verdict", "headers", "count", "expected"),
    [
        # retry-after first, whatever the kind of limit.
        (Verdict.SECONDARY_LIMIT, {"retry-after": "7"}, 1, 7.0),
        (Verdict.SECONDARY_LIMIT, {"retry-after": "7"}, 3, 7.0),
        (
            Verdict.PRIMARY_LIMIT,
            {"retry-after": "3", "x-ratelimit-reset": str(int(NOW) + 900)},
            1,
            3.0,
        ),
        (Verdict.SECONDARY_LIMIT, {"retry-after": "abc"}, 1, 60.0),
        # secondary without retry-after: 60 s, then doubling.
        (Verdict.SECONDARY_LIMIT, {}, 1, 60.0),
        (Verdict.SECONDARY_LIMIT, {}, 2, 120.0),
        (Verdict.SECONDARY_LIMIT, {}, 3, 240.0),
        # primary: reset - now + 1.
        (Verdict.PRIMARY_LIMIT, {"x-ratelimit-reset": str(int(NOW) + 900)}, 1, 901.0),
        (Verdict.GRAPHQL_RATE_LIMITED, {"x-ratelimit-reset": str(int(NOW) + 10)}, 1, 11.0),
        # a reset in the past (skewed clock): a short wait, not a negative one.
        (Verdict.PRIMARY_LIMIT, {"x-ratelimit-reset": str(int(NOW) - 300)}, 1, 1.0),
        (Verdict.PRIMARY_LIMIT, {"x-ratelimit-reset": "soon"}, 1, 60.0),
        (Verdict.PRIMARY_LIMIT, {}, 1, 60.0),
    ],
)
def test_wait_for(
    verdict: Verdict, headers: Mapping[str, str], count: int, expected: float
) -> None:
    assert wait_for(verdict, headers, NOW, count) == expected


class MaxRandom(random.Random):
    """uniform(a, b) returns b: the top of the jitter range."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_ceiling_doubles_up_to_the_cap() -> None:
    ceilings = [backoff(n, MaxRandom()) for n in range(1, 9)]
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 16.0, BACKOFF_CAP, BACKOFF_CAP, BACKOFF_CAP]


def test_backoff_is_full_jitter_within_the_ceiling() -> None:
    rng = random.Random(7)
    waits = [backoff(4, rng) for _ in range(200)]
    assert all(0.0 <= w <= 8.0 for w in waits)
    assert min(waits) < 1.0 and max(waits) > 7.0  # spread over the whole range


# -- retry state ------------------------------------------------------------------------


def test_retry_state_increment_returns_a_new_state_and_keeps_history() -> None:
    first = RetryState(total=2, server=1)
    second = first.increment(Verdict.SERVER_ERROR, 502, 0.5)
    assert first.history == () and first.attempts == 1
    assert second.attempts == 2 and second.total == 1 and second.server == 0
    assert second.history[0].status == 502 and second.history[0].wait_seconds == 0.5
    assert not second.is_exhausted()
    third = second.increment(Verdict.TRANSPORT, None)
    assert third.is_exhausted()  # the server budget (1) is spent
    assert third.count(Verdict.SERVER_ERROR) == 1 and third.count(Verdict.TRANSPORT) == 1


def test_retry_state_total_bounds_limits_and_unauthorized_is_separate() -> None:
    state = RetryState(total=2, server=2)
    state = state.increment(Verdict.UNAUTHORIZED, 401)
    assert state.total == 2 and not state.is_exhausted()
    assert state.increment(Verdict.UNAUTHORIZED, 401).is_exhausted()  # one fresh token only
    state = state.increment(Verdict.SECONDARY_LIMIT, 403, 60)
    state = state.increment(Verdict.PRIMARY_LIMIT, 403, 10)
    assert not state.is_exhausted()
    assert state.increment(Verdict.SECONDARY_LIMIT, 403, 60).is_exhausted()


def test_retry_state_malformed_budget() -> None:
    state = RetryState(total=10, server=10, malformed=2)
    state = state.increment(Verdict.MALFORMED, 200).increment(Verdict.MALFORMED, 200)
    assert not state.is_exhausted()
    assert state.increment(Verdict.MALFORMED, 200).is_exhausted()


# -- Link header ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", {}),
        (
            '<https://api.github.com/orgs/a/repos?page=2&per_page=100>; rel="next", '
            '<https://api.github.com/orgs/a/repos?page=9&per_page=100>; rel="last"',
            {
                "next": "https://api.github.com/orgs/a/repos?page=2&per_page=100",
                "last": "https://api.github.com/orgs/a/repos?page=9&per_page=100",
            },
        ),
        ("<https://x/?after=Y3Vyc29y%3D>; rel=next", {"next": "https://x/?after=Y3Vyc29y%3D"}),
        ('<https://x/a,b>; rel="next"', {"next": "https://x/a,b"}),
        ('<https://x/2>; rel="prev next"', {"prev": "https://x/2", "next": "https://x/2"}),
        ('<https://x/2>; REL="Next"', {"next": "https://x/2"}),
        ('<https://x/2>; title="a;b,c"; rel="next"', {"next": "https://x/2"}),
        ('<https://x/1>; rel="next", <https://x/2>; rel="next"', {"next": "https://x/1"}),
        ('<https://x/1>; rel="first"', {"first": "https://x/1"}),
        ("<https://x/1>", {}),
    ],
)
def test_parse_link_header(value: str, expected: dict[str, str]) -> None:
    assert parse_link_header(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        'https://x/2; rel="next"',
        '<https://x/2; rel="next"',
        '<https://x/2>; rel="next',
        '<https://x/2> rel="next"',
        '<https://x/2>; ="next"',
        '<>; rel="next"',
        '<https://x/2>; rel="next"; <https://x/3>',
    ],
)
def test_parse_link_header_rejects_malformed(value: str) -> None:
    with pytest.raises(LinkHeaderError):
        parse_link_header(value)


_url_chars = st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters='<>"\\')
_urls = st.text(_url_chars, min_size=1, max_size=60).map(lambda s: "https://api.github.com/" + s)
_rels = st.sampled_from(["next", "last", "first", "prev"])


@given(st.dictionaries(_rels, _urls, min_size=0, max_size=4), st.sampled_from([", ", ",", " ,  "]))
def test_link_header_round_trip(links: dict[str, str], separator: str) -> None:
    header = separator.join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    assert parse_link_header(header) == links


@given(st.text(max_size=80))
def test_link_parser_raises_only_its_own_error(text: str) -> None:
    try:
        result = parse_link_header(text)
    except LinkHeaderError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.items())


@given(
    st.dictionaries(_rels, _urls, min_size=1, max_size=4), st.integers(min_value=1, max_value=30)
)
def test_truncated_link_header_never_invents_a_next_url(links: dict[str, str], cut: int) -> None:
    header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    truncated = header[: max(len(header) - cut, 0)]
    try:
        parsed = parse_link_header(truncated)
    except LinkHeaderError:
        return
    for rel, url in parsed.items():
        assert url == links[rel]  # only links that were fully present


# -- URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://api.github.com/", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/graphql"),
        ("http://127.0.0.1:8080/prefix/", "http://127.0.0.1:8080/prefix/graphql"),
    ],
)
def test_graphql_url_for(api_url: str, expected: str) -> None:
    assert graphql_url_for(api_url) == expected


def test_api_base_targets() -> None:
    base = ApiBase("https://ghe.example.com/api/v3/")
    assert base.target("/orgs/a/repos", {"type": "all", "per_page": 100, "archived": True}) == (
        "https://ghe.example.com/api/v3/orgs/a/repos?type=all&per_page=100&archived=true"
    )
    assert base.target("https://ghe.example.com/api/v3/orgs/a/repos?page=2", {"x": 1}) == (
        "https://ghe.example.com/api/v3/orgs/a/repos?page=2&x=1"
    )
    with pytest.raises(ForeignURLError, match="refusing to send credentials"):
        base.target("https://evil.example.com/api/v3/orgs/a/repos")
    with pytest.raises(ForeignURLError):
        base.target("http://ghe.example.com/api/v3/orgs")  # scheme downgrade
    with pytest.raises(ValueError, match="must start with"):
        base.target("orgs/a")
    with pytest.raises(ValueError, match="API base URL"):
        ApiBase("api.github.com")


def test_display_path_and_params() -> None:
    assert display_path("https://h/api/v3/orgs/a?page=2") == "/api/v3/orgs/a?page=2"
    assert display_path("https://h") == "/"
    assert encode_params({"q": "a b", "f": False}) == "q=a+b&f=false"
    assert encode_params(None) == ""


# -- answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "data", "problem_part"),
    [
        (b"", None, ""),
        (b"[1, 2]", [1, 2], ""),
        (b'{"a": 1}', {"a": 1}, ""),
        (b"<html><body>Unicorn!</body></html>", None, "an HTML page"),
        (b'[{"id": 1}, {"id"', None, "not valid JSON"),
        (b"\xff\xfe\x00", None, "not UTF-8"),
    ],
)
def test_decode_json(body: bytes, data: Any, problem_part: str) -> None:
    decoded, problem = decode_json(body)
    assert decoded == data
    assert (problem_part in problem) if problem_part else problem == ""


@pytest.mark.parametrize(
    ("data", "items"),
    [
        ([], []),
        ([{"id": 1}], [{"id": 1}]),
        ({"total_count": 1, "repositories": [{"id": 1}]}, [{"id": 1}]),
        ({"total_count": 1, "a": [], "b": []}, None),
        ({"message": "Not Found"}, None),
        ("text", None),
        (None, None),
    ],
)
def test_list_items(data: Any, items: list[Any] | None) -> None:
    assert list_items(data) == items


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ({"data": {"a": 1}}, True),
        ({"data": None, "errors": [{"message": "x"}]}, True),
        ({"errors": [{"message": "x"}]}, True),
        ({}, False),
        ([], False),
        ({"data": [1]}, False),
        ({"data": {}, "errors": "boom"}, False),
    ],
)
def test_graphql_shape_problem(data: Any, ok: bool) -> None:
    assert (graphql_shape_problem(data) == "") is ok


# -- errors -----------------------------------------------------------------------------


def test_status_error_message_names_method_path_status_and_github_message() -> None:
    error = HTTPStatusError("GET", "/orgs/a/repos?type=all", 422, "Validation Failed", hint="Fix")
    assert str(error) == "GET /orgs/a/repos?type=all -> HTTP 422: 'Validation Failed'. Fix"


def test_rate_limit_message_has_the_reset_time() -> None:
    error = RateLimitExceeded(
        "GET", "/x", kind="primary_limit", status=403, wait_seconds=900,
        reset_at=1_800_000_900, reason="only 10 s of run time remain",
    )  # fmt: skip
    assert "primary limit" in str(error) and "1800000900" in str(error) and "HTTP 403" in str(error)


def test_graphql_error_summary() -> None:
    errors = [
        {"type": "NOT_FOUND", "path": ["r1"], "message": "Could not resolve"},
        {"message": "Field 'nme' doesn't exist", "extensions": {"code": "undefinedField"}},
        {"message": "c"},
        {"message": "d"},
    ]
    error = GraphQLError("/graphql", errors, {"r0": {}})
    text = str(error)
    assert "[NOT_FOUND] Could not resolve (path r1)" in text
    assert "[undefinedField] Field 'nme'" in text and "and 1 more" in text
    assert error.data == {"r0": {}} and error.errors is errors


# -- App JWT and tokens -------------------------------------------------------------------


def test_jwt_claims() -> None:
    claims = jwt_claims("Iv1.abc", NOW + 0.9)
    assert claims == {"iat": int(NOW) - 60, "exp": int(NOW) - 60 + 540, "iss": "Iv1.abc"}
    assert int(claims["exp"]) - int(claims["iat"]) <= 600
    assert jwt_claims(4242, NOW)["iss"] == "4242"


def test_app_jwt_is_rs256_and_cached_for_a_few_minutes(app_private_key: str) -> None:
    clock = ManualClock(NOW)
    issuer = AppJwt("Iv1.abc", parse_private_key(app_private_key, "test"), clock)
    first = issuer.current()
    assert jwt.get_unverified_header(first)["alg"] == "RS256"
    public = parse_private_key(app_private_key, "test").public_key()
    claims = jwt.decode(
        first, public, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert claims["iss"] == "Iv1.abc" and claims["iat"] == int(NOW) - 60
    clock.advance(240)
    assert issuer.current() == first
    clock.advance(61)
    assert issuer.current() != first


def test_parse_expires_at() -> None:
    assert parse_expires_at("2027-01-15T08:00:00Z") == calendar.timegm((2027, 1, 15, 8, 0, 0))
    assert parse_expires_at("2027-01-15T09:00:00+01:00") == calendar.timegm((2027, 1, 15, 8, 0, 0))
    with pytest.raises(ValueError):
        parse_expires_at("2027-01-15T08:00:00")
    with pytest.raises(ValueError):
        parse_expires_at("tomorrow")


def test_refresh_time_is_five_minutes_early_or_half_way() -> None:
    assert refresh_time(InstallationToken("t", NOW + 3600), NOW) == NOW + 3300
    assert refresh_time(InstallationToken("t", NOW + 60), NOW) == NOW + 30
    assert "ghs_secret" not in repr(InstallationToken("ghs_secret", NOW))


def test_token_cache_refreshes_once_for_twenty_threads() -> None:
    clock = ManualClock(NOW)
    issued: list[str] = []
    gate = threading.Barrier(20)

    def fetch() -> InstallationToken:
        issued.append(f"ghs_{len(issued)}")
        return InstallationToken(issued[-1], clock.time() + 3600)

    cache = TokenCache(fetch, clock)
    assert cache.current() == "ghs_0"
    clock.advance(3600 - 299)  # inside the 5-minute refresh margin

    def worker(_: int) -> str:
        gate.wait()
        return cache.current()

    with ThreadPoolExecutor(20) as pool:
        tokens = list(pool.map(worker, range(20)))
    assert issued == ["ghs_0", "ghs_1"]
    assert set(tokens) == {"ghs_1"} and cache.fetches == 2


def test_token_cache_invalidate_only_forgets_the_rejected_token() -> None:
    clock = ManualClock(NOW)
    count = iter(range(100))
    cache = TokenCache(lambda: InstallationToken(f"ghs_{next(count)}", NOW + 3600), clock)
    assert cache.current() == "ghs_0"
    cache.invalidate("ghs_0")
    assert cache.current() == "ghs_1"
    cache.invalidate("ghs_0")  # a late thread reporting the old token changes nothing
    assert cache.current() == "ghs_1" and cache.fetches == 2
