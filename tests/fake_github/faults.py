"""What can go wrong: the fault switches of the fake GitHub.

Every switch is off by default. A test builds a ``Faults``, hands it to
``FakeGitHub`` and may change it between phases (``fake.faults.x = ...``); the
server reads it on every request. Counters such as ``server_errors`` are
decremented as the fake answers with the fault, so "the next N requests" means
exactly that.

Route names (for ``fault_routes``, ``failing_routes`` and ``hostile``):
``installation``, ``access_tokens``, ``org_repos``, ``org_members``,
``branches``, ``git_blobs``, ``dependabot_alerts``, ``secret_scanning_alerts``, ``graphql``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROUTE_NAMES = (
    "installation",
    "access_tokens",
    "org_repos",
    "org_members",
    "repository",
    "branches",
    "git_blobs",
    "contents",
    "dependabot_alerts",
    "secret_scanning_alerts",
    "graphql",
)

# Hostile answer modes (values of ``Faults.hostile``).
HOSTILE_HTML = "html"  # 200, text/html error page (a proxy or the unicorn page)
HOSTILE_TRUNCATED = "truncated"  # the real JSON cut in half (Content-Length matches)
HOSTILE_BAD_LINK = "bad_link"  # a malformed Link header on a paged answer
HOSTILE_WRONG_SHAPE = "wrong_shape"  # valid JSON of the wrong shape (object for list, ...)
HOSTILE_CUT = "cut"  # full Content-Length announced, half the body sent, connection closed
# Secret scanning alerts carry the ``secret`` even when ``hide_secret=true`` was asked.
HOSTILE_LEAK_SECRET = "leak_secret"
HOSTILE_MODES = (
    HOSTILE_HTML,
    HOSTILE_TRUNCATED,
    HOSTILE_BAD_LINK,
    HOSTILE_WRONG_SHAPE,
    HOSTILE_CUT,
    HOSTILE_LEAK_SECRET,
)


@dataclass
class Faults:
    """Fault switches; all off by default. Randomness is seeded by ``seed``."""

    # Real seconds slept before answering each request (benchmarks, concurrency).
    latency: float = 0.0

    # Which routes the "next N" / rate faults below apply to (None: every route).
    fault_routes: set[str] | None = None

    # The next N requests answer ``server_error_status`` (then the counter is 0).
    server_errors: int = 0
    server_error_status: int = 502
    # Probability in [0, 1] that any request answers ``server_error_status``.
    server_error_rate: float = 0.0

    # The next N requests answer a secondary rate limit.
    secondary_limits: int = 0
    secondary_limit_status: int = 403  # GitHub uses 403 or 429
    # ``retry-after`` header value sent with a secondary limit; None: no header.
    # Any string is sent as is (e.g. "abc" or "-5" for hostile answers).
    retry_after: str | None = "60"

    # Primary budgets (x-ratelimit-limit) per hour-long window, per resource.
    rest_budget: int = 5000
    graphql_budget: int = 5000
    # Seconds from the first request of a window to its reset.
    rate_limit_window: float = 3600.0
    # Added to the reported ``x-ratelimit-reset`` / ``resetAt`` only (the real
    # refill time does not move): negative values report a reset in the past.
    rate_limit_reset_skew: float = 0.0
    # Status of an exhausted primary budget (GitHub: 403, sometimes 429).
    primary_limit_status: int = 403
    # When the GraphQL budget is exhausted: "http" answers ``primary_limit_status``;
    # "rate_limited" answers 200 with an errors entry of type RATE_LIMITED.
    graphql_exhausted_style: str = "http"

    # The next N GraphQL requests answer 200 {"errors": [{"type": "RATE_LIMITED"}]}.
    graphql_rate_limited: int = 0

    # Installation token lifetime override in seconds (None: FakeGitHub's token_ttl).
    token_ttl: float | None = None

    # Routes that always fail: {route_name: status}.
    failing_routes: dict[str, int] = field(default_factory=dict)

    # At most this many requests in flight; the excess answers a secondary limit.
    max_concurrency: int | None = None

    # A GraphQL query whose node estimate exceeds this answers 502 (heavy-query
    # timeout), so callers learn to halve their batches.
    graphql_node_threshold: int | None = None

    # Hostile answers per route: {route_name: one of HOSTILE_MODES}.
    hostile: dict[str, str] = field(default_factory=dict)
    # Sparse REST answers: {dotted field: "absent" | "null"} applied to every
    # repository object of the ``org_repos`` listing and to ``git_blobs`` answers
    # (not to the one-repository lookup, so a client may recover a field there),
    # e.g. {"visibility": "absent", "security_and_analysis.secret_scanning.status":
    # "null", "size": "null"} (fields GitHub's REST description marks optional/nullable).
    sparse_fields: dict[str, str] = field(default_factory=dict)
    # Repositories GitHub cannot answer about in GraphQL: any query naming one
    # (as a variable) answers 502 at every batch size.
    graphql_unanswerable: set[str] = field(default_factory=set)
    # Repositories the REST listing shows but GraphQL answers NOT_FOUND for, forever.
    graphql_not_found: set[str] = field(default_factory=set)

    seed: int = 0

    def unknown_routes(self) -> set[str]:
        """Route names in ``fault_routes``, ``failing_routes`` or ``hostile`` that no route has."""
        named = set(self.fault_routes or ()) | set(self.failing_routes) | set(self.hostile)
        return named - set(ROUTE_NAMES)

    def applies_to(self, route: str) -> bool:
        """Whether the counted and random faults apply to ``route``."""
        return self.fault_routes is None or route in self.fault_routes


SPARSE_MODES = ("absent", "null")


def make_sparse(item: dict[str, Any], dotted: str, mode: str) -> None:
    """Remove (``absent``) or null (``null``) the field at ``dotted`` in ``item``, if there."""
    if mode not in SPARSE_MODES:
        raise ValueError(f"unknown sparse mode {mode!r}; use one of {SPARSE_MODES}")
    *parents, last = dotted.split(".")
    target: Any = item
    for key in parents:
        target = target.get(key) if isinstance(target, dict) else None
    if not isinstance(target, dict) or last not in target:
        return
    if mode == "absent":
        del target[last]
    else:
        target[last] = None
