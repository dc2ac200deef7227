"""repositories.json against the fake GitHub over real HTTP: exact data, faults, budget."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from collectors import CollectionResult
from collectors.errors import CollectionError
from collectors.inventory import list_repositories
from collectors.queries import repository_facts_query
from collectors.repositories import (
    FactReader,
    FirstPage,
    ReadState,
    RepoDraft,
    RepositorySettings,
    RuleAnswer,
    Unreadable,
    apply_rule,
    branches_needing_rules,
)
from datalogger.alert_collections import collect_dependabot, collect_secret_scanning
from datalogger.registry import collect_repositories
from github_client import GitHubError, ResponseFormatError
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.model import Branch, Organization, PullRequest, Repository
from tests.fake_github.samples import generated_org
from tests.fixtures.clients import canonical, connected_client, run_clock
from tests.fixtures.org60 import (
    DEPENDABOT_THRESHOLDS,
    GENERIC_TYPES,
    INACTIVITY_YEARS,
    NOW,
    ORG,
    SECRET_SCANNING_THRESHOLD,
    SIGNED_COMMIT_NUMBER,
    build_org60,
    expected_repositories,
    repo,
    unreadable_unknown,
)

Factory = Callable[..., FakeGitHub]
SETTINGS = RepositorySettings(INACTIVITY_YEARS, SIGNED_COMMIT_NUMBER, thread_count=4)


def collect(fake: FakeGitHub, settings: RepositorySettings = SETTINGS) -> CollectionResult:
    client = connected_client(fake, fake.clock, pool_size=settings.thread_count)
    try:
        inventory = list_repositories(client, fake.org.login)
        return collect_repositories(client, fake.org.login, inventory, settings, NOW)
    finally:
        client.close()


@pytest.fixture(scope="module")
def clean_bytes() -> bytes:
    """repositories.json of acme60 from a fake without faults."""
    with FakeGitHub(build_org60(), clock=run_clock()) as fake:
        fake.start()
        return canonical(collect(fake).records)


def test_repositories_dataset_is_exactly_the_expected_one(fake_github: Factory) -> None:
    fake = fake_github(build_org60(), clock=run_clock())
    result = collect(fake)
    expected = expected_repositories()
    mismatched = [
        (want["name"], got)
        for want, got in zip(expected, result.records, strict=False)
        if want != got
    ]
    assert mismatched == []
    assert result.records == expected
    assert [list(record) for record in result.records[:1]] == [
        ["name", "type", "url", "created_at", "checklist", "unknown", "exceptions", "failing"]
    ]
    # The one repository whose security_and_analysis GitHub hid is unknown, not silently true.
    assert result.unknown_repositories == 1
    assert result.warnings == []


def test_one_query_per_batch_and_follow_ups_only_for_long_lists(fake_github: Factory) -> None:
    fake = fake_github(build_org60(), clock=run_clock())
    collect(fake)
    # 84 active repositories: 2 batches of <= 50; one aliased follow-up query for the
    # second pages of the repositories with 150/130/130 branches and 121 open pull
    # requests; 403 branches without a classic rule in repositories with rulesets
    # (149 + 129 + 120 + 5 small ones): 5 branch-rules queries of <= 100; one
    # team-maintainers query and one verified-e-mails query.
    assert fake.stats.by_route["graphql"] == 10
    assert fake.stats.by_route["org_members"] == 1
    assert fake.stats.by_route["org_repos"] == 1
    assert fake.stats.by_route["branches"] == 0


def test_members_are_not_listed_when_no_human_opened_a_pull_request(
    fake_github: Factory,
) -> None:
    org = build_org60()
    for repository in org.repositories:
        repository.pull_requests = [
            pr for pr in repository.pull_requests if pr.author_type == "Bot" or pr.author is None
        ]
    fake = fake_github(org, clock=run_clock())
    records = {record["name"]: record for record in collect(fake).records}
    assert fake.stats.by_route["org_members"] == 0
    assert not any(record["checklist"]["external_pr"] for record in records.values())


@pytest.fixture
def expire_tokens_mid_run() -> Iterator[Callable[[FakeGitHub], None]]:
    """Revoke every token once the run has sent its first GraphQL query."""
    threads: list[threading.Thread] = []
    stop = threading.Event()

    def arm(fake: FakeGitHub) -> None:
        def watch() -> None:
            while not stop.is_set():
                if fake.stats.graphql >= 1:
                    fake.expire_tokens()
                    return
                stop.wait(0.001)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        threads.append(thread)

    yield arm
    stop.set()
    for thread in threads:
        thread.join(timeout=5)


FAULTS: dict[str, Faults] = {
    "secondary limits": Faults(secondary_limits=3, retry_after="7", fault_routes={"graphql"}),
    "secondary limit without retry-after": Faults(
        secondary_limits=1, retry_after=None, fault_routes={"graphql", "org_members"}
    ),
    "502 burst": Faults(server_errors=1, fault_routes={"graphql"}),
    "REST 502 burst": Faults(server_errors=3, server_error_status=502, fault_routes={"org_repos"}),
    "latency": Faults(latency=0.02),
    "graphql rate limited": Faults(graphql_rate_limited=1),
    "heavy queries time out": Faults(graphql_node_threshold=3200),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_faults_give_byte_identical_datasets(
    fake_github: Factory, clean_bytes: bytes, name: str
) -> None:
    fake = fake_github(build_org60(), FAULTS[name], clock=run_clock())
    assert canonical(collect(fake).records) == clean_bytes
    statuses = Counter(entry.status for entry in fake.stats.log)
    if name == "heavy queries time out":
        assert statuses[502] >= 2  # the 50-repository batches were split
        assert fake.stats.by_route["graphql"] > 5
    elif "502" in name:
        assert statuses[502] >= 1
    elif "secondary" in name:
        assert statuses[403] >= 1


def test_token_expiry_mid_run_gives_identical_bytes(
    fake_github: Factory,
    clean_bytes: bytes,
    expire_tokens_mid_run: Callable[[FakeGitHub], None],
) -> None:
    fake = fake_github(build_org60(), Faults(latency=0.01), clock=run_clock())
    expire_tokens_mid_run(fake)
    assert canonical(collect(fake).records) == clean_bytes
    assert fake.stats.tokens_issued == 2
    assert any(entry.status == 401 for entry in fake.stats.log)


def test_batches_run_concurrently_within_thread_count(fake_github: Factory) -> None:
    org = generated_org(300, login=ORG)
    fake = fake_github(org, Faults(latency=0.05), clock=run_clock())
    settings = RepositorySettings(1, 15, thread_count=3, batch_size=20)
    result = collect(fake, settings)
    assert len(result.records) == 270
    assert 2 <= fake.stats.peak_concurrency <= 3


def test_a_repository_deleted_during_the_run_is_named(fake_github: Factory) -> None:
    fake = fake_github(build_org60(), clock=run_clock())
    client = connected_client(fake, fake.clock)
    inventory = list_repositories(client, ORG)
    fake.org.repositories = [r for r in fake.org.repositories if r.name != "readme-rst"]
    result = collect_repositories(client, ORG, inventory, SETTINGS, NOW)
    (warning,) = result.warnings
    assert f"{ORG}/readme-rst" in warning and "NOT_FOUND twice" in warning
    record = next(r for r in result.records if r["name"] == "readme-rst")
    assert set(record["unknown"]) == unreadable_unknown(record["type"])
    assert all(record["checklist"][check] for check in record["unknown"])  # fail-closed
    assert len(result.records) == len(expected_repositories())


def test_a_systemic_outage_fails_the_collection(fake_github: Factory) -> None:
    """Every repository unreadable (502 even alone): far beyond max(5, 1 %)."""
    fake = fake_github(build_org60(), Faults(graphql_node_threshold=1), clock=run_clock())
    with pytest.raises(CollectionError, match=r"could not answer about 84 of 84 active") as caught:
        collect(fake, RepositorySettings(1, 15, thread_count=4, batch_size=4))
    assert "Bad_Name" in str(caught.value)
    graphql = [entry for entry in fake.stats.log if entry.route == "graphql"]
    assert {entry.status for entry in graphql} == {502}


def test_graphql_failing_for_good_is_a_collection_error(fake_github: Factory) -> None:
    fake = fake_github(build_org60(), Faults(failing_routes={"graphql": 403}), clock=run_clock())
    with pytest.raises(GitHubError, match=r"POST /graphql -> HTTP 403"):
        collect(fake)


def run_everything(fake: FakeGitHub, settings: RepositorySettings) -> dict[str, Any]:
    client = connected_client(fake, fake.clock, pool_size=settings.thread_count)
    org = fake.org.login
    inventory = list_repositories(client, org)
    repositories = collect_repositories(client, org, inventory, settings, NOW)
    collect_dependabot(client, org, inventory, DEPENDABOT_THRESHOLDS, NOW)
    collect_secret_scanning(client, org, inventory, SECRET_SCANNING_THRESHOLD, GENERIC_TYPES, NOW)
    client.close()
    return {"active": len(repositories.records), "stats": client.stats()}


def budget_org(repositories: int) -> Organization:
    """The fake's generated organisation; every 50th repository has 150 branches and
    120 open pull requests (so follow-up pages are part of the measure)."""
    org = generated_org(repositories, login="bigco")
    for repository in org.repositories[::50]:
        repository.branches += [Branch(f"topic-{i:03d}", ruleset=True) for i in range(148)]
        repository.pull_requests += [PullRequest(n, f"user{n % 50}") for n in range(3, 121)]
    return org


def test_request_budget_on_a_500_repository_org(
    fake_github: Factory, record_property: Callable[[str, object], None]
) -> None:
    fake = fake_github(budget_org(500), clock=run_clock())
    outcome = run_everything(fake, RepositorySettings(1, 15, thread_count=4))
    active = outcome["active"]
    total = fake.stats.total
    per_repo = total / active
    breakdown = dict(sorted(fake.stats.by_route.items()))
    record_property("requests_per_active_repository", round(per_repo, 4))
    record_property("request_breakdown", breakdown)
    print(
        f"\n500-repo org: {total} requests for {active} active repositories "
        f"= {per_repo:.4f}/repo; {breakdown}"
    )
    assert active == 450
    # inventory 5 pages; 9 GraphQL batches + 1 follow-up query for the 10 long
    # lists + 15 branch-rules queries (10 repositories with rulesets x 149 branches
    # without a classic rule, 100 per query) + 1 team + 1 e-mail query; members 1
    # page; App auth 2.
    assert breakdown["graphql"] == 27
    assert breakdown["org_repos"] == 5
    # Alerts: 250 Dependabot in one chain per severity (4, at least one page each;
    # a chain of more than a page is read from both ends, which may cost one page
    # more where they meet) + 125 secret scanning (2 pages, + 1 where they meet,
    # plus 1 for the generic patterns' chain).
    assert breakdown["dependabot_alerts"] <= 3 + 4 + 2
    assert breakdown["secret_scanning_alerts"] <= 2 + 1 + 1
    without_alert_chains = total - breakdown["dependabot_alerts"] + 3
    assert without_alert_chains / active <= 0.1, breakdown


def test_graphql_points_on_a_500_repository_org(
    fake_github: Factory, record_property: Callable[[str, object], None]
) -> None:
    """Every query asks its own cost, so the client's count is exactly what GitHub charged.

    Before rulesets were asked per repository (``rules`` under each of 100 refs), the
    same run cost 480 points (52 per 50-repository batch).
    """
    fake = fake_github(budget_org(500), clock=run_clock())
    outcome = run_everything(fake, RepositorySettings(1, 15, thread_count=4))
    points = outcome["stats"].graphql_points
    record_property("graphql_points_500_repositories", points)
    print(f"\n500-repo org: {points} GraphQL points")
    assert points == fake.stats.graphql_points
    # 9 batches x 2 + 1 follow-up + 15 x 1 branch rules + 1 team + 1 e-mail query.
    assert points == 36


def test_points_of_a_50_repository_batch(
    fake_github: Factory, record_property: Callable[[str, object], None]
) -> None:
    fake = fake_github(budget_org(500), clock=run_clock())
    client = connected_client(fake, fake.clock)
    try:
        active = [listing for listing in list_repositories(client, "bigco") if not listing.archived]
        variables: dict[str, Any] = {"org": "bigco"}
        variables.update({f"n{i}": listing.name for i, listing in enumerate(active[:50])})
        answer = client.graphql(repository_facts_query(50, 15), variables)
    finally:
        client.close()
    cost = answer.data["rateLimit"]["cost"]
    record_property("graphql_points_per_50_repository_batch", cost)
    # refs, rulesets, history and pullRequests: 4 requests per repository, 200 / 100.
    assert cost <= 5
    assert cost == 2
    assert fake.stats.graphql_points == 2


def test_a_transient_not_found_is_retried_alone_once(
    fake_github: Factory, clean_bytes: bytes
) -> None:
    fake = fake_github(build_org60(), Faults(latency=0.05), clock=run_clock())
    client = connected_client(fake, fake.clock)
    inventory = list_repositories(client, ORG)
    hidden = next(r for r in fake.org.repositories if r.name == "branches-all-protected")
    fake.org.repositories.remove(hidden)
    restored = threading.Event()

    def restore_after_first_query() -> None:
        while fake.stats.graphql < 1:
            threading.Event().wait(0.001)
        fake.org.repositories.append(hidden)
        restored.set()

    threading.Thread(target=restore_after_first_query, daemon=True).start()
    settings = RepositorySettings(INACTIVITY_YEARS, SIGNED_COMMIT_NUMBER, thread_count=1)
    result = collect_repositories(client, ORG, inventory, settings, NOW)
    assert restored.is_set()
    assert canonical(result.records) == clean_bytes
    # 2 batches + 1 single retry + 1 follow-up + 5 branch rules + 1 team + 1 e-mail query.
    assert fake.stats.by_route["graphql"] == 11


@pytest.mark.parametrize(
    ("route", "mode"),
    [
        ("graphql", "html"),
        ("graphql", "truncated"),
        ("graphql", "wrong_shape"),
        ("org_members", "wrong_shape"),
    ],
)
def test_hostile_answers_fail_with_a_named_error(
    fake_github: Factory, mode: str, route: str
) -> None:
    fake = fake_github(build_org60(), clock=run_clock())
    client = connected_client(fake, fake.clock)
    inventory = list_repositories(client, ORG)
    fake.faults.hostile = {route: mode}
    with pytest.raises(ResponseFormatError) as caught:
        collect_repositories(client, ORG, inventory, SETTINGS, NOW)
    path = "/graphql" if route == "graphql" else f"/orgs/{ORG}/members"
    assert path in str(caught.value)


@pytest.mark.parametrize(
    "arguments",
    [
        {"signed_commit_number": 101},
        {"signed_commit_number": -1},
        {"thread_count": 0},
        {"batch_size": 0},
        {"inactivity_years": -1},
    ],
)
def test_settings_out_of_range_are_refused(arguments: dict[str, int]) -> None:
    values = {"inactivity_years": 1, "signed_commit_number": 15, "thread_count": 4}
    with pytest.raises(ValueError, match="must be"):
        RepositorySettings(**{**values, **arguments})


# -- branch rules (the second phase) ---------------------------------------------------------


def ruleset_org() -> Organization:
    """One repository with 99 branches that only a ruleset could protect (one is not)."""
    branches = [
        Branch("main", protection_rule=True),
        *[Branch(f"r{i:03d}", ruleset=True) for i in range(98)],
        Branch("zz-open"),
    ]
    return Organization(
        login=ORG,
        repositories=[
            Repository("many-branches", branches=branches),
            Repository("classic-only", branches=[Branch("main", protection_rule=True)]),
            Repository("rulesets-elsewhere", branches=[Branch("main"), Branch("dev")], rulesets=1),
        ],
    )


def first_phase(fake: FakeGitHub) -> tuple[FactReader, list[RepoDraft]]:
    """A reader and the repositories' drafts (facts read, branch rules not yet)."""
    client = connected_client(fake, fake.clock)
    reader = FactReader(client, ORG, SETTINGS)
    pages = reader.read_unit(list_repositories(client, ORG))
    return reader, [RepoDraft.start(page) for page in pages if isinstance(page, FirstPage)]


def apply_rules(drafts: list[RepoDraft], answers: list[RuleAnswer | Unreadable]) -> ReadState:
    """What the coordinating thread does with the workers' immutable answers."""
    state = ReadState({draft.name: draft for draft in drafts}, {})
    for answer in answers:
        apply_rule(state, answer)
    return state


def protected_by_name(drafts: list[RepoDraft]) -> dict[str, tuple[bool, ...] | None]:
    return {draft.name: draft.facts({}).branches_protected for draft in drafts}


def test_branch_rules_are_asked_only_where_a_ruleset_may_apply(fake_github: Factory) -> None:
    fake = fake_github(ruleset_org(), clock=run_clock())
    reader, drafts = first_phase(fake)
    checks = branches_needing_rules(drafts)
    assert sorted({check.name for check in checks}) == [
        "many-branches",
        "rulesets-elsewhere",
    ]
    assert len(checks) == 101
    apply_rules(drafts, reader.read_branch_rules(checks))
    protected = protected_by_name(drafts)
    assert protected["many-branches"] == (True,) * 99 + (False,)
    assert protected["classic-only"] == (True,)
    assert protected["rulesets-elsewhere"] == (False, False)  # rulesets exist, none applies


def test_heavy_branch_rules_queries_are_halved(fake_github: Factory) -> None:
    fake = fake_github(ruleset_org(), clock=run_clock())
    reader, drafts = first_phase(fake)
    fake.faults.graphql_node_threshold = 60  # 101 branches' rules: 101 nodes; 50: 50
    before = fake.stats.by_route["graphql"]
    apply_rules(drafts, reader.read_branch_rules(branches_needing_rules(drafts)))
    statuses = [entry.status for entry in fake.stats.log if entry.route == "graphql"]
    # The 101-branch query and its one retry fail, then halves of 50 and 51 succeed.
    assert statuses[before:] == [502, 502, 200, 200]
    protected = protected_by_name(drafts)
    assert protected["many-branches"] == (True,) * 99 + (False,)
    assert protected["rulesets-elsewhere"] == (False, False)


def test_a_branch_deleted_before_its_rules_are_read_is_not_judged(fake_github: Factory) -> None:
    fake = fake_github(ruleset_org(), clock=run_clock())
    reader, drafts = first_phase(fake)
    repository = fake.org.repository("many-branches")
    assert repository is not None
    repository.branches = [b for b in repository.branches if b.name != "zz-open"]
    apply_rules(drafts, reader.read_branch_rules(branches_needing_rules(drafts)))
    assert protected_by_name(drafts)["many-branches"] == (True,) * 99


def test_a_repository_deleted_before_its_branch_rules_is_named(fake_github: Factory) -> None:
    fake = fake_github(ruleset_org(), clock=run_clock())
    reader, drafts = first_phase(fake)
    fake.org.repositories = [r for r in fake.org.repositories if r.name != "rulesets-elsewhere"]
    before = fake.stats.by_route["graphql"]
    state = apply_rules(drafts, reader.read_branch_rules(branches_needing_rules(drafts)))
    assert sorted(state.drafts) == ["classic-only", "many-branches"]
    (gone,) = state.unreadable.values()
    assert gone.name == "rulesets-elsewhere" and "NOT_FOUND twice" in gone.reason
    # The batch of both repositories, then the missing one alone.
    assert fake.stats.by_route["graphql"] - before == 2


# A 1 MB CODEOWNERS whose only contact is on its last line; odd Unicode, CRLF and tabs.
_HUGE_LINE = "/src/**/module-name/*.py\t@bob  owner@example.com # no contact here\r\n"
HOSTILE_CODEOWNERS = {
    "codeowners-one-megabyte": (_HUGE_LINE * (1_000_000 // len(_HUGE_LINE) + 1))
    + "/last @alice\r\n",
    "codeowners-odd-unicode": "\ufeff# équipe ☃ @dave\r\n*\t@bob\u00a0\t@alice\r\n",
    "codeowners-contact-only-in-a-comment": "# ☃ @alice @carol\r\n*\t\t@bob # @dave\r\n",
}


def test_hostile_codeowners_files_are_read_right(fake_github: Factory) -> None:
    """Judged exactly like any other file; the 1 MB one, cut at 512,000 bytes in GraphQL,
    through one REST git/blobs request, and the small ones through none."""
    org = build_org60()
    org.repositories = [
        repo(name, add={".github/CODEOWNERS": text}) for name, text in HOSTILE_CODEOWNERS.items()
    ]
    assert len(HOSTILE_CODEOWNERS["codeowners-one-megabyte"]) > 1_000_000
    fake = fake_github(org, clock=run_clock())
    result = collect(fake)
    blob_requests = [entry for entry in fake.stats.log if entry.route == "git_blobs"]
    assert [(entry.path.split("/")[3], entry.status) for entry in blob_requests] == [
        ("codeowners-one-megabyte", 200)
    ]
    judged = {
        record["name"]: (
            record["checklist"]["codeowners_missing"],
            record["checklist"]["point_of_contact_missing"],
        )
        for record in result.records
    }
    assert judged == {
        "codeowners-one-megabyte": (False, False),  # @alice, on the last line, has an e-mail
        "codeowners-odd-unicode": (False, False),  # @alice after a no-break space and a tab
        "codeowners-contact-only-in-a-comment": (False, True),  # comments give no contact
    }


def test_a_cut_codeowners_file_that_cannot_be_read_whole_fails_naming_it(
    fake_github: Factory,
) -> None:
    huge = HOSTILE_CODEOWNERS["codeowners-one-megabyte"]
    org = build_org60()
    org.repositories = [
        repo("small", drop=(".github/CODEOWNERS",), add={"CODEOWNERS": "* @carol\n"}),
        # GitHub uses .github/CODEOWNERS here: the huge docs/ file is never read.
        repo("huge-but-unused", add={"docs/CODEOWNERS": huge}),
    ]
    fake = fake_github(org, clock=run_clock(), faults=Faults(failing_routes={"git_blobs": 502}))
    assert len(collect(fake).records) == 2
    assert fake.stats.by_route["git_blobs"] == 0

    org.repositories.append(
        repo("huge", drop=(".github/CODEOWNERS",), add={"docs/CODEOWNERS": huge})
    )
    result = collect(fake)
    (warning,) = result.warnings
    assert f"{ORG}/huge, CODEOWNERS file docs/CODEOWNERS" in warning
    huge_record = next(r for r in result.records if r["name"] == "huge")
    assert "codeowners_missing" in huge_record["unknown"]
    assert huge_record["checklist"]["point_of_contact_missing"] is True
    assert {entry.status for entry in fake.stats.log if entry.route == "git_blobs"} == {502}
