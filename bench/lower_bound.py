"""The shortest run any client could make against the service-time model.

Computed from the organisation alone (not from what the handler did), so that
a run's modelled wall time can be set beside it. The bound is the largest of:

- **chains** — requests that must follow one another:
  - authentication (installation lookup, then token), then the inventory's
    first page (it names the last page), then the other pages all at once,
    then one GraphQL query for a repository of the last page, then one
    follow-up round (branch rules or verified e-mails read from CODEOWNERS);
  - authentication, then each cursor listing: Dependabot split by its four
    severities (the one filter whose values every alert has exactly one of)
    and each split read from both ends at once; secret scanning, whose
    filters do not partition it, from both ends;
- **rates** — GitHub's secondary limits: 900 REST points and 2,000 GraphQL
  points a minute (a first minute's worth may go at once), for the fewest
  requests any client needs;
- **width** — the modelled service time of those requests over GitHub's 100
  concurrent requests.

The fewest requests: 2 for authentication (the token POST counts 5 points),
one per 100 repositories (archived included) and members, one per 100 open
alerts per split end, and one GraphQL query per 50 active repositories (the
batch a 2.5 s query holds; bigger batches would shorten nothing here).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from tests.fake_github.model import Organization
from tests.fake_github.service_model import SecondaryLimits, ServiceModel

PER_PAGE = 100
FACTS_NODES_PER_REPOSITORY = 216  # refs 100 + rulesets 1 + history 15 + pull requests 100
FACTS_BATCH = 50
FOLLOW_UP_NODES = 100  # a branch-rules or e-mail query of 100 aliases


@dataclass(frozen=True)
class LowerBound:
    """The bound and what set it."""

    seconds: float
    chains: dict[str, float]
    rates: dict[str, float]
    width: float
    rest_requests: int
    graphql_requests: int

    @property
    def critical(self) -> str:
        """The name of the term that sets the bound."""
        terms = {**self.chains, **self.rates, "concurrency": self.width}
        return max(terms, key=lambda name: terms[name])


def _pages(items: int) -> int:
    return max(math.ceil(items / PER_PAGE), 1)


def _end_pages(items: int) -> int:
    """Pages of a listing read from both ends (one page when it has no second one)."""
    return 1 if items <= PER_PAGE else 2 * _pages(math.ceil(items / 2))


def _listing_seconds(model: ServiceModel, route: str, items: int) -> float:
    """One end of a cursor listing of ``items``, page after page."""
    full, rest = divmod(items, PER_PAGE)
    seconds = full * model.rest_seconds(route, PER_PAGE)
    if rest or not full:
        seconds += model.rest_seconds(route, rest)
    return seconds


def _both_ends(model: ServiceModel, route: str, items: int) -> float:
    """A cursor listing read from both ends: each end reads half of it."""
    if items <= PER_PAGE:
        return model.rest_seconds(route, items)
    return _listing_seconds(model, route, math.ceil(items / 2))


def lower_bound(
    org: Organization,
    model: ServiceModel | None = None,
    limits: SecondaryLimits | None = None,
) -> LowerBound:
    """The modelled lower bound of a run over ``org`` (see the module docstring)."""
    model = model or ServiceModel()
    limits = limits or SecondaryLimits()
    repositories = len(org.repositories)
    active = sum(1 for repo in org.repositories if not repo.archived)
    severities = Counter(a.severity for a in org.dependabot_alerts if a.state == "open")
    secrets = sum(1 for a in org.secret_scanning_alerts if a.state == "open")

    auth = 2 * model.rest_seconds("installation", 0)
    page = model.rest_seconds("org_repos", PER_PAGE)
    inventory = page + (page if repositories > PER_PAGE else 0.0)
    facts = model.graphql_seconds(FACTS_NODES_PER_REPOSITORY)
    follow_up = model.graphql_seconds(FOLLOW_UP_NODES)
    chains = {
        "repositories": auth + inventory + facts + follow_up,
        "dependabot": auth
        + max((_both_ends(model, "dependabot_alerts", n) for n in severities.values()), default=0),
        "secret_scanning": auth + _both_ends(model, "secret_scanning_alerts", secrets),
    }

    alert_pages = sum(_end_pages(n) for n in severities.values()) + _end_pages(secrets)
    rest_requests = 2 + _pages(repositories) + _pages(len(org.members)) + alert_pages
    rest_points = rest_requests + 4  # the token POST costs 5 points
    graphql_requests = math.ceil(active / FACTS_BATCH)
    rates = {
        "rest_points": _rate_seconds(rest_points, limits.rest_points_per_minute, limits),
        "graphql_points": _rate_seconds(graphql_requests, limits.graphql_points_per_minute, limits),
    }
    work = (
        _pages(repositories) * page
        + _pages(len(org.members)) * model.rest_seconds("org_members", PER_PAGE)
        + alert_pages * model.rest_seconds("dependabot_alerts", PER_PAGE)
        + graphql_requests * model.graphql_seconds(FACTS_NODES_PER_REPOSITORY * FACTS_BATCH)
    )
    width = work / limits.max_concurrent
    seconds = max([*chains.values(), *rates.values(), width])
    return LowerBound(seconds, chains, rates, width, rest_requests, graphql_requests)


def _rate_seconds(points: int, per_minute: int, limits: SecondaryLimits) -> float:
    """The earliest the last of ``points`` can go: a minute's worth at once, then the rate."""
    if points <= per_minute:
        return 0.0
    return (points - per_minute) * limits.window_seconds / per_minute
