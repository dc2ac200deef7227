"""What the two alert collections share: reading an org alert endpoint, enrichment, order.

Both endpoints page by cursor (``after=``, Link rel="next" as given) and are
read as several parallel cursor chains (:func:`iter_alerts`). An endpoint that answers 403
or 404 means the feature is off for the organisation or the App lacks the
permission: that is a :class:`FeatureUnavailableError`, never an empty list.

Enrichment (``repository_visibility``, ``repository_archived``) comes from
the inventory. An alert whose repository the inventory does not list (created
or transferred in during the run) costs one targeted ``GET /repos/{org}/{name}``,
cached; if that fails too the collection fails naming the repository.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from collectors.errors import CollectionError, FeatureUnavailableError
from collectors.inventory import RepoListing, listing_from_rest
from collectors.shapes import as_object, field_object, field_str
from github_client import ForbiddenError, GitHubClient, NotFoundError
from github_client.streams import BothEnds, read_streams

logger = logging.getLogger(__name__)

# The age rule, given by the caller (policy): whether an alert created at the
# first argument is older than the second argument's days. Collectors do not judge.
Overdue = Callable[[str, int], bool]


# Every alert has exactly one of these severities (GitHub's REST description
# gives them as an enum), so one cursor chain per severity loses and repeats
# nothing. ``ecosystem`` and ``scope`` are not used: GitHub adds ecosystems,
# and ``scope`` may be null, so their values do not cover every alert.
DEPENDABOT_SPLITS: Final[tuple[Mapping[str, str], ...]] = tuple(
    {"severity": severity} for severity in ("critical", "high", "medium", "low")
)


# Both org alert listings sort by creation time (``sort=created``, the default)
# either way (``direction``): each chain is read from both ends at once.
def alert_identity(alert: object) -> str:
    """What tells two alerts apart: their URL (the record's ``alert_url``)."""
    if isinstance(alert, dict):
        for key in ("html_url", "url"):
            if isinstance(alert.get(key), str):
                return str(alert[key])
    return json.dumps(alert, sort_keys=True)


def alert_created(alert: object) -> str:
    """The value both listings sort by (an absent one fails the record later)."""
    return str(alert.get("created_at") or "") if isinstance(alert, dict) else ""


BY_CREATION = BothEnds(identity=alert_identity, sort_value=alert_created)


def iter_alerts(  # noqa: PLR0917 (the endpoint, its parameters and its streams)
    client: GitHubClient,
    path: str,
    params: Mapping[str, str | int | bool],
    feature: str,
    permission: str,
    splits: Sequence[Mapping[str, str]] = ({},),
) -> Iterator[Mapping[str, Any]]:
    """Every alert the endpoint lists, as JSON objects, a few pages in memory at a time.

    The listing is read as one cursor chain per split, each from both ends
    (``github_client.streams``): its wall time is the longest half-chain, not
    the whole list's page count. An organisation with tens of thousands of
    open alerts never holds them all: GitHub's alert objects are large (the
    full advisory, a whole repository object), the dataset keeps six fields of
    the few that are overdue.
    """
    where = f"GET {path}"
    try:
        for item in read_streams(client, path, params, splits, both_ends=BY_CREATION):
            yield as_object(item, where, "alert")
    except (ForbiddenError, NotFoundError) as exc:
        raise FeatureUnavailableError(
            f"{where} answered HTTP {exc.status}: {feature} is off for the organisation or "
            f"the GitHub App lacks the '{permission}' permission (GitHub said: "
            f"{exc.github_message or 'nothing'}). No dataset was written: an empty list "
            "would claim there are no alerts."
        ) from exc


def alert_records(
    alerts: Iterable[Mapping[str, Any]],
    record_of: Callable[[Mapping[str, Any]], dict[str, Any] | None],
) -> tuple[list[dict[str, Any]], int]:
    """The dataset entries of the alerts that have one, and how many alerts were read."""
    records: list[dict[str, Any]] = []
    read = 0
    for alert in alerts:
        read += 1
        record = record_of(alert)
        if record is not None:
            records.append(record)
    return records, read


def alert_sort_key(record: Mapping[str, Any], created_field: str) -> tuple[str, str, str]:
    """repository, then creation time, then alert URL."""
    return (record["repository"], record[created_field], record["alert_url"])


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


def alert_repository(alert: Mapping[str, Any], where: str) -> tuple[str, str]:
    """The alert's repository name and html_url."""
    repository = field_object(alert, "repository", where)
    return field_str(repository, "name", where), field_str(repository, "html_url", where)
