"""A fake GitHub for tests, the demo and the benchmark.

``FakeGitHub`` serves GitHub's REST and GraphQL APIs over an in-memory
:class:`~tests.fake_github.model.Organization` on ``127.0.0.1`` (random port),
with real HTTP/1.1 keep-alive, and checks what GitHub checks:

- App auth: ``GET /orgs/{org}/installation`` and
  ``POST /app/installations/{id}/access_tokens`` need an RS256 App JWT signed
  with ``fake.private_key_pem``, ``iss`` = client ID or App ID, ``iat``/``exp``
  valid on the fake's clock (``exp`` in the future but at most 600 s ahead,
  ``iat`` not in the future). Every other route needs a live ``ghs_`` token
  (``Bearer`` or ``token``); JWTs and tokens are not interchangeable (401).
- ``User-Agent`` is mandatory (403). Every answer has ``x-ratelimit-*`` headers
  of its bucket: ``core`` (1 per REST call) or ``graphql`` (query cost).
- REST page-numbered lists (repos, members, branches) send GitHub's ``Link``
  header; like GitHub, its URLs use ``/organizations/{id}/...`` and
  ``/repositories/{id}/...`` paths, so clients must follow them as given.
  Alert lists page by ``after=`` cursor and answer 400 to ``page=``.
  ``GET /repos/{owner}/{repo}/git/blobs/{sha}`` (route ``git_blobs``) answers
  a file by its git blob SHA-1, base64 with a newline every 60 characters.
  ``GET /repos/{owner}/{repo}/contents/{path}`` (route ``contents``) answers
  a file at the default branch as GitHub's ``content-file`` object, a
  directory as its entry list, and 404 for a missing repository, file or ``ref``.
- GraphQL: validated against the real schema (``schema.graphql`` here, a
  verbatim copy of GitHub's published SDL, so that a clean clone can test;
  ``$GITHUB_GRAPHQL_SCHEMA`` overrides it), pagination bounds, the 500,000
  node limit, cost, and explicit errors for fields the fake does not implement
  (``type: FAKE_NOT_IMPLEMENTED``). ``Blob.text`` is cut like GitHub's at
  512,000 bytes on a character boundary (``isTruncated`` true); ``Blob.oid``
  is the real git blob SHA-1.

- REST: every request and answer is checked against GitHub's published REST
  description (``rest_description.json``, from npm ``@octokit/openapi``; see
  ``openapi.py`` and docs/testing.md): documented operation, known query
  parameters with valid values (``per_page`` at most 100), answers that match
  the response schema with no invented field. Breaches are recorded in
  ``fake.contract`` and fail the test that caused them (tests/conftest.py);
  ``fake.contract.take()`` claims planted ones. ``sparse="omit"`` (or
  ``"null"``) thins REST answers to what the description guarantees
  (``sparse.py``).

Faults (:class:`Faults`, see ``faults.py``) inject latency, 5xx (next N or
a seeded rate), secondary limits (with any ``retry-after`` or none), primary
budgets (``rest_budget``/``graphql_budget``, reset skew into the past),
GraphQL RATE_LIMITED, short token TTLs, permanently failing routes, a
concurrency cap, heavy-query 502s and hostile answers (``html``,
``truncated``, ``bad_link``, ``wrong_shape``, ``cut``). Counted faults apply to
every route, App routes included, unless ``fault_routes`` narrows them. An App
without the route's permission (``permissions=``) gets 403 "Resource not
accessible by integration".

Opt-in realism for timing (``service_model.py``): a :class:`ServiceModel`
answers each request after a GitHub-like service time (REST base + per item,
alert listings slower; GraphQL base + per estimated node, a query past 10 s
answered 502), the fake's own CPU counted inside it, on a :class:`ModelClock`
that may run faster than real time; :class:`SecondaryLimits` enforces GitHub's
100 concurrent requests and 900 REST / 2,000 GraphQL points a minute (403 with
``retry-after``, counted in ``stats.secondary_trips``). ``frozen_org=True`` (an
organisation that never changes: the benchmark) keeps every answer once
computed, so a second run is served from memory.

``fake.stats`` (:class:`FakeStats`) counts total/rest/graphql requests,
``by_route``, ``tokens_issued``, ``graphql_points``, ``peak_concurrency`` and
keeps a ``log`` of ``(method, route, path, status)``. Control routes, not
counted: ``GET /_fake/stats``, ``POST /_fake/reset_stats``,
``POST /_fake/expire_tokens``, ``POST /_fake/faults`` (JSON of Faults fields),
``GET /_fake/contract`` (the recorded contract violations).

Several installations of one App behind one address (``GET /app/installations``,
each organisation with its own tokens and rate limits): ``FakeGitHubApp`` in
``app.py``.

Out of process: ``python -m tests.fake_github --org MODULE:FUNCTION [--org-arg N]
--port 0 --key-file PATH [--latency-ms 50] [--sparse omit] [--service-model --time-scale S]
[--secondary-limits] [--frozen-org]`` prints one JSON line
``{"url", "client_id", "app_id", "org", "key_file"}`` and serves until SIGTERM.
"""

from tests.fake_github.faults import Faults
from tests.fake_github.server import FakeGitHub
from tests.fake_github.service_model import ModelClock, SecondaryLimits, ServiceModel
from tests.fake_github.stats import FakeStats, LoggedRequest

__all__ = [
    "FakeGitHub",
    "FakeStats",
    "Faults",
    "LoggedRequest",
    "ModelClock",
    "SecondaryLimits",
    "ServiceModel",
]
