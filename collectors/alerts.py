"""One collector for both organisation alert endpoints: Dependabot and secret scanning.

An :class:`AlertKind` names what differs between them (endpoint, the fixed
query parameters, how one alert becomes facts); everything else is shared:
listing, merging several listing chains, and finding each kept alert's
repository in the inventory. The collector returns typed facts only; which
alerts are overdue is the policy's judgement (``policy.alerts``), handed in as
the ``keep`` predicate so that only kept alerts cost a repository lookup.

Paging. ``GET /orgs/{org}/dependabot/alerts`` pages only by cursor.
``GET /orgs/{org}/secret-scanning/alerts`` pages by number unless the first
request sends an empty ``after=``, which switches it to cursors: page numbers
over a list that changes during the run can skip or repeat alerts. Either way
``client.paginate`` follows ``Link: rel="next"`` as given.

Generic secret patterns. GitHub lists only its default (provider) patterns
unless ``secret_type`` names others, so secret scanning is read as two chains:
the default listing and one listing naming the generic patterns. They are
merged by alert URL, so an alert both chains list (however GitHub reads
``secret_type``) is counted once.

An endpoint that answers 403 or 404 means the feature is off for the
organisation or the App lacks the permission: that is a
:class:`FeatureUnavailableError`, never an empty list. An alert whose
repository the inventory does not list (created or transferred in during the
run) costs one targeted ``GET /repos/{org}/{name}``, cached; if that fails too
the collection fails naming the repository.

The ``secret`` field of a secret scanning alert is never read: facts are built
field by field, so a secret GitHub sends despite ``hide_secret=true`` goes no
further than the page being parsed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

from collectors.errors import CollectionError, FeatureUnavailableError, UnexpectedAnswerError
from collectors.facts import DependabotAlertFacts, SecretScanningAlertFacts
from collectors.inventory import RepoListing, listing_from_rest
from collectors.shapes import (
    as_object,
    field_int,
    field_object,
    field_str,
    field_word,
    optional_bool,
    optional_number,
    optional_object,
    optional_path,
    optional_word,
    shared,
)
from github_client import ForbiddenError, GitHubClient, NotFoundError
from github_client.streams import BothEnds, read_streams
from github_client.urls import ParamValue

logger = logging.getLogger(__name__)

F = TypeVar("F", DependabotAlertFacts, SecretScanningAlertFacts)
Filters = Mapping[str, ParamValue]

# Asks GitHub to leave the secret value out of every secret scanning alert.
HIDE_VALUES_PARAMETER = "hide_secret"
PER_PAGE = 100
# GitHub's advisory severities (the REST description's enum).
SEVERITIES = ("critical", "high", "medium", "low")


# --------------------------------------------------------------------------- one alert


class AlertIdentity(TypedDict):
    """The fields of :class:`collectors.facts.AlertFacts`: what identifies any alert."""

    number: int
    html_url: str
    state: str
    created_at: str
    repository: str
    repository_url: str


def alert_identity_fields(alert: Mapping[str, Any], where: str) -> tuple[AlertIdentity, str]:
    """The identifying fields every alert must have, and ``where`` naming the alert."""
    html_url = field_str(alert, "html_url", where)
    where = f"{where} (alert {html_url})"
    repository = field_object(alert, "repository", where)
    identity = AlertIdentity(
        number=field_int(alert, "number", where),
        html_url=html_url,
        state=field_word(alert, "state", where),
        created_at=field_str(alert, "created_at", where),
        repository=field_word(repository, "name", where),
        repository_url=field_word(repository, "html_url", where),
    )
    return identity, where


def dependabot_facts(alert: Mapping[str, Any], where: str) -> DependabotAlertFacts:
    """The facts of one Dependabot alert; optional fields None when GitHub omits them."""
    identity, where = alert_identity_fields(alert, where)
    advisory = field_object(alert, "security_advisory", where)
    dependency = optional_object(alert, "dependency", where)
    package = optional_object(dependency, "package", where)
    severity = field_str(advisory, "severity", where)
    if severity not in SEVERITIES:
        raise UnexpectedAnswerError(
            f"{where}: severity {severity!r} is none of GitHub's {', '.join(SEVERITIES)}; "
            "the collection stops rather than guess its threshold"
        )
    return DependabotAlertFacts(
        **identity,
        severity=shared(severity),
        ghsa_id=optional_word(advisory, "ghsa_id", where),
        cve_id=optional_word(advisory, "cve_id", where),
        summary=optional_word(advisory, "summary", where),
        package_ecosystem=optional_word(package, "ecosystem", where),
        package_name=optional_word(package, "name", where),
        manifest_path=optional_word(dependency, "manifest_path", where),
        scope=optional_word(dependency, "scope", where),
        patched_version=optional_word(
            optional_path(alert, "security_vulnerability.first_patched_version", where),
            "identifier",
            where,
        ),
        cvss_v4=optional_number(
            optional_path(advisory, "cvss_severities.cvss_v4", where), "score", where
        ),
        cvss_v3=optional_number(
            optional_path(advisory, "cvss_severities.cvss_v3", where), "score", where
        ),
        cvss=optional_number(optional_object(advisory, "cvss", where), "score", where),
        epss_percentage=optional_number(
            optional_object(advisory, "epss", where), "percentage", where
        ),
    )


def secret_scanning_facts(alert: Mapping[str, Any], where: str) -> SecretScanningAlertFacts:
    """The facts of one secret scanning alert (never its ``secret``)."""
    identity, where = alert_identity_fields(alert, where)
    return SecretScanningAlertFacts(
        **identity,
        secret_type=field_word(alert, "secret_type", where),
        secret_type_display_name=optional_word(alert, "secret_type_display_name", where),
        provider=optional_word(alert, "provider", where),
        validity=optional_word(alert, "validity", where),
        publicly_leaked=optional_bool(alert, "publicly_leaked", where),
        multi_repo=optional_bool(alert, "multi_repo", where),
        push_protection_bypassed=optional_bool(alert, "push_protection_bypassed", where),
    )


# --------------------------------------------------------------------------- the two kinds


@dataclass(frozen=True)
class AlertKind(Generic[F]):
    """What differs between the two organisation alert endpoints."""

    name: str  # the collection: "dependabot", "secret_scanning"
    endpoint: str  # after /orgs/{org}/
    feature: str  # for messages: "Dependabot alerts"
    permission: str  # the App permission, as GitHub's settings page names it
    params: Filters  # sent on the first request of every chain
    facts_of: Callable[[Mapping[str, Any], str], F]
    # Filters that partition the listing: every chain is read as one stream per
    # split (see github_client.streams), each from both ends.
    splits: tuple[Filters, ...] = ({},)

    def path(self, org: str) -> str:
        """The organisation's endpoint."""
        return f"/orgs/{org}/{self.endpoint}"


DEPENDABOT = AlertKind(
    name="dependabot",
    endpoint="dependabot/alerts",
    feature="Dependabot alerts",
    permission="Dependabot alerts (read)",
    params={"state": "open", "per_page": PER_PAGE},
    facts_of=dependabot_facts,
    # Every alert has exactly one of these severities (an enum in GitHub's REST
    # description): one chain per severity loses and repeats nothing. ``ecosystem``
    # and ``scope`` do not partition: GitHub adds ecosystems, and scope may be null.
    splits=tuple({"severity": severity} for severity in ("critical", "high", "medium", "low")),
)

SECRET_SCANNING = AlertKind(
    name="secret_scanning",
    endpoint="secret-scanning/alerts",
    feature="Secret scanning",
    permission="Secret scanning alerts (read)",
    # An empty ``after=`` makes GitHub page by cursor instead of page number.
    params={"state": "open", "per_page": PER_PAGE, HIDE_VALUES_PARAMETER: True, "after": ""},
    facts_of=secret_scanning_facts,
)


def secret_scanning_chains(generic_types: Sequence[str]) -> list[Filters]:
    """The default listing, plus one naming the generic patterns (none when there are none)."""
    chains: list[Filters] = [{}]
    if generic_types:
        chains.append({"secret_type": ",".join(generic_types)})
    return chains


# --------------------------------------------------------------------------- listing


def alert_identity(alert: object) -> str:
    """What tells two alerts apart: their URL (``html_url``, else ``url``)."""
    if isinstance(alert, Mapping):
        for key in ("html_url", "url"):
            if isinstance(alert.get(key), str):
                return str(alert[key])
    return repr(sorted(alert.items())) if isinstance(alert, Mapping) else repr(alert)


def alert_created(alert: object) -> str:
    """The value both listings sort by (``created_at``; absent: "")."""
    value = alert.get("created_at") if isinstance(alert, Mapping) else None
    return value if isinstance(value, str) else ""


# Both organisation listings sort by creation time (``sort=created``, the default),
# either way (``direction``): each chain is read from both ends at once.
BY_CREATION = BothEnds(identity=alert_identity, sort_value=alert_created)


def list_chains(
    client: GitHubClient, kind: AlertKind[F], org: str, chains: Sequence[Filters]
) -> Iterator[F]:
    """The facts of every alert the listing chains return, a few pages in memory at a time.

    Each chain (the kind's parameters plus its filters) is read as one cursor
    stream per split of the kind, each from both ends, all at once
    (``github_client.streams``): the wall time is the longest half-chain, not
    the whole listing's page count. Organisations with tens of thousands of open
    alerts never hold their pages (large objects: the whole advisory and
    repository) at once.
    """
    path = kind.path(org)
    where = f"GET {path}"
    splits = [{**chain, **split} for chain in chains for split in kind.splits]
    try:
        for item in read_streams(client, path, kind.params, splits, both_ends=BY_CREATION):
            yield kind.facts_of(as_object(item, where, "alert"), where)
    except (ForbiddenError, NotFoundError) as exc:
        raise FeatureUnavailableError(
            f"{where} answered HTTP {exc.status}: {kind.feature} is off for the organisation "
            f"or the GitHub App lacks the '{kind.permission}' permission (GitHub said: "
            f"{exc.github_message or 'nothing'}). No dataset was written: an empty list "
            "would claim there are no alerts."
        ) from exc


@dataclass(frozen=True)
class KeptAlert(Generic[F]):
    """An alert the caller kept, with its repository as the inventory lists it."""

    facts: F
    listing: RepoListing


@dataclass(frozen=True)
class AlertHarvest(Generic[F]):
    """The kept alerts (in listing order) and how many distinct alerts were read."""

    kept: list[KeptAlert[F]]
    read: int
    duplicates: int  # alerts a later chain listed again (merged away)


def collect_alerts(  # noqa: PLR0917 (each argument is one concern of the caller)
    client: GitHubClient,
    kind: AlertKind[F],
    org: str,
    inventory: Sequence[RepoListing],
    keep: Callable[[F], bool],
    chains: Sequence[Filters] = ({},),
) -> AlertHarvest[F]:
    """Every alert of every chain once (merged by URL); the kept ones with their repository."""
    index = RepositoryIndex(client, org, inventory)
    seen: set[str] = set()
    chosen: list[F] = []
    duplicates = 0
    for facts in list_chains(client, kind, org, chains):
        if facts.html_url in seen:
            duplicates += 1
            continue
        seen.add(facts.html_url)
        if keep(facts):
            chosen.append(facts)
    # The inventory may still have been arriving while the alerts were read: each kept
    # alert finds its repository now (and a failed inventory fails the collection).
    index.ready()
    kept = [KeptAlert(facts, index.listing(facts.repository, facts.html_url)) for facts in chosen]
    logger.info(
        "alerts listed",
        extra={
            "org": org,
            "collection": kind.name,
            "chains": len(chains),
            "alerts": len(seen),
            "kept": len(kept),
            "duplicates": duplicates,
        },
    )
    return AlertHarvest(kept=kept, read=len(seen), duplicates=duplicates)


class RepositoryIndex:
    """The inventory by repository name (any case), with one cached lookup for names it
    lacks. Each collection has its own, read by one thread."""

    def __init__(self, client: GitHubClient, org: str, inventory: Sequence[RepoListing]) -> None:
        self._client = client
        self._org = org
        self._inventory = inventory
        self._folded: dict[str, RepoListing] | None = None

    @property
    def _by_folded(self) -> dict[str, RepoListing]:
        """Built on first use: the alerts are read while the inventory still arrives."""
        if self._folded is None:
            self._folded = {listing.name.casefold(): listing for listing in self._inventory}
        return self._folded

    def ready(self) -> None:
        """Wait for the whole inventory (raising its error if listing it failed)."""
        _ = self._by_folded

    def listing(self, name: str, alert_url: str) -> RepoListing:
        """The repository an alert belongs to."""
        key = name.casefold()
        found = self._by_folded.get(key)
        if found is None or not found.complete:
            # Not listed, or listed without visibility/archived: ask GitHub once.
            found = self._by_folded[key] = self._look_up(name, alert_url)
        return found

    def _look_up(self, name: str, alert_url: str) -> RepoListing:
        path = f"/repos/{self._org}/{name}"
        logger.info(
            "alert repository missing from inventory, looking it up",
            extra={"org": self._org, "repository": name},
        )
        try:
            response = self._client.get(path)
        except NotFoundError as exc:
            raise CollectionError(
                f"alert {alert_url} belongs to repository {self._org}/{name}, which "
                f"GET /orgs/{self._org}/repos did not list and GET {path} answered 404; "
                "run again (it may have been deleted or transferred during the run)"
            ) from exc
        return listing_from_rest(response.data, f"GET {path}")
