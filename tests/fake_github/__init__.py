"""A fake GitHub for tests, the demo and the benchmark.

``FakeGitHub`` serves GitHub's REST and GraphQL APIs over an in-memory
:class:`~tests.fake_github.model.Organization` on ``127.0.0.1`` (random port),
with real HTTP/1.1 keep-alive, and checks what GitHub checks:

- App auth: ``GET /orgs/{org}/installation`` and
  ``POST /app/installations/{id}/access_tokens`` need an RS256 App JWT signed
  with ``fake.private_key_pem``, ``iss`` = client ID or App ID, ``iat``/``exp``
  valid on the fake's clock (``exp`` in the future, ``exp - iat <= 600``,
  ``iat`` at most 60 s ahead). Every other route needs a live ``ghs_`` token
  (``Bearer`` or ``token``); JWTs and tokens are not interchangeable (401).
- ``User-Agent`` is mandatory (403). Every answer has ``x-ratelimit-*`` headers
  of its bucket: ``core`` (1 per REST call) or ``graphql`` (query cost).
- REST page-numbered lists (repos, members, branches) send GitHub's ``Link``
  header; like GitHub, its URLs use ``/organizations/{id}/...`` and
  ``/repositories/{id}/...`` paths, so clients must follow them as given.
  Alert lists page by ``after=`` cursor and answer 400 to ``page=``.
- GraphQL: validated against the real schema (``schema.graphql`` here, a
  verbatim copy of GitHub's published SDL, so that a clean clone can test;
  ``$GITHUB_GRAPHQL_SCHEMA`` overrides it), pagination bounds, the 500,000
  node limit, cost, and explicit errors for fields the fake does not implement
  (``type: FAKE_NOT_IMPLEMENTED``).

Faults (:class:`Faults`) inject latency, 5xx, secondary and primary limits,
RATE_LIMITED, token expiry, failing routes, a concurrency cap, heavy-query 502s
and hostile answers. ``fake.stats`` counts everything; ``GET /_fake/stats``
returns the same counters as JSON for out-of-process readers.

Out of process: ``python -m tests.fake_github --org MODULE:FUNCTION --port 0
--key-file PATH`` prints one JSON line ``{"url", "client_id", "org", "key_file"}``.
"""

from tests.fake_github.faults import Faults
from tests.fake_github.server import FakeGitHub
from tests.fake_github.stats import FakeStats, LoggedRequest

__all__ = ["FakeGitHub", "FakeStats", "Faults", "LoggedRequest"]
