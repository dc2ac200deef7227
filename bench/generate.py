"""A deterministic synthetic organisation, and the datasets a correct run produces.

``build(n_active)`` returns an :class:`Organization` for the fake GitHub with
``n_active`` active repositories, 25 % more archived ones, members, teams,
users and alerts, in a realistic mix (see :func:`generate`). While it builds
each repository it first *decides* which checks the repository breaks and
then writes files, branches, commits and pull requests that break exactly
those; the decisions are kept in a :class:`RepoPlan` per repository.

``expected(org, now, settings)`` turns those decisions into the three
datasets. It never imports ``collectors/``: the benchmark compares what the
handler wrote with what the generator meant, so a collector bug cannot hide
behind the same bug in the oracle. Only the two checks that depend on the
run's ``now`` or its settings are evaluated here (``inactive`` from the
push time, ``unsigned_commits`` from the position of the first commit whose
signature is not valid) together with the alerts' whole-day ages.

Times are laid out around an *anchor* (the run's start, to the second): the
benchmark sets ``BENCH_ANCHOR`` (epoch seconds) in the environment of both
the fake's subprocess and its own, so both build the same organisation.
Boundary cases keep at least 30 minutes from their boundary, so a run that
starts a few minutes after the anchor still meets the same decisions.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.contract import checklist_names
from tests.fake_github.model import (
    GENERIC_SECRET_TYPES,
    SECRET_PROVIDERS,
    Branch,
    Commit,
    DependabotAlert,
    Organization,
    PullRequest,
    Repository,
    SecretScanningAlert,
    Team,
    User,
)

ORG_LOGIN = "bench-org"
OTHER_ORG = "other-org"
SEED = "policy-data-logger-bench-v1"
ANCHOR_ENV = "BENCH_ANCHOR"
DEFAULT_ANCHOR = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
ARCHIVED_SHARE = 0.25
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

CHECKS = checklist_names()
REPOSITORY_FIELDS = (
    "name",
    "type",
    "url",
    "created_at",
    "checklist",
    "unknown",
    "exceptions",
    "failing",
)
DEPENDABOT_FIELDS = (
    "repository",
    "repository_url",
    "created_at",
    "severity",
    "alert_url",
    "repository_visibility",
    "repository_archived",
    "number",
    "ghsa_id",
    "cve_id",
    "summary",
    "package_ecosystem",
    "package_name",
    "manifest_path",
    "scope",
    "patched_version",
    "cvss_score",
    "epss_percentage",
    "age_days",
    "days_overdue",
)
SECRET_SCANNING_FIELDS = (
    "repository",
    "repository_url",
    "creation_date",
    "alert_url",
    "repository_visibility",
    "repository_archived",
    "number",
    "secret_type",
    "secret_type_display_name",
    "provider",
    "validity",
    "publicly_leaked",
    "multi_repo",
    "push_protection_bypassed",
    "age_days",
    "days_overdue",
)
# (ecosystem, package, manifest) of the generated Dependabot alerts.
_PACKAGES = (
    ("npm", "lodash", "package-lock.json"),
    ("npm", "axios", "web/package-lock.json"),
    ("pip", "django", "requirements.txt"),
    ("pip", "requests", "requirements-dev.txt"),
    ("maven", "org.apache.logging.log4j:log4j-core", "pom.xml"),
    ("nuget", "Newtonsoft.Json", "src/App/App.csproj"),
    ("go", "golang.org/x/net", "go.mod"),
    ("rubygems", "rails", "Gemfile.lock"),
    ("composer", "guzzlehttp/guzzle", "composer.lock"),
    ("rust", "tokio", "Cargo.lock"),
)
# Paths GitHub's description allows to be absent, and the fake may leave out.
_DEPENDABOT_OMISSIONS = (
    "dependency.scope",
    "dependency.manifest_path",
    "security_advisory.cvss_severities",
    "security_advisory.epss",
)
_SECRET_OMISSIONS = (
    "secret_type_display_name",
    "provider",
    "validity",
    "publicly_leaked",
    "multi_repo",
    "push_protection_bypassed",
)
SEVERITIES = ("critical", "high", "medium", "low")
BOTS = ("dependabot", "renovate", "github-actions")
_WORDS = (
    "payments",
    "ledger",
    "search",
    "identity",
    "billing",
    "catalog",
    "gateway",
    "infra",
    "mobile",
    "web",
    "data",
    "ml",
    "docs",
    "auth",
    "notify",
    "reports",
)
_KINDS = ("api", "service", "lib", "ui", "worker", "infra", "tools", "sdk", "etl", "cli")
_FIRST_NAMES = ("amara", "bo", "chen", "dara", "eli", "farah", "gus", "hana", "ivo", "jun")


def _default_thresholds() -> dict[str, int]:
    return {"critical": 5, "high": 15, "medium": 60, "low": 90}


@dataclass(frozen=True)
class Settings:
    """The run settings ``expected`` depends on (``config.json``'s defaults)."""

    inactivity_years: int = 1
    signed_commit_number: int = 15
    dependabot_thresholds: Mapping[str, int] = field(default_factory=_default_thresholds)
    secret_scanning_threshold: int = 5
    # Asked for by name besides the default patterns (the fake's generic ones).
    secret_scanning_generic_types: tuple[str, ...] = tuple(sorted(GENERIC_SECRET_TYPES))


@dataclass(frozen=True)
class RepoPlan:
    """What the generator decided for one repository."""

    name: str
    visibility: str  # PUBLIC | PRIVATE | INTERNAL
    url: str
    created_at: str
    archived: bool
    # Checks made to fail that depend on neither ``now`` nor the settings.
    fails: frozenset[str]
    # Index (newest first) of the first default-branch commit whose signature
    # is missing or invalid; None when every commit is validly signed.
    first_bad_commit: int | None
    # What ``inactive`` was meant to be for a run at the anchor, default settings.
    meant_inactive: bool
    # Human-readable labels of the variants generated, for mismatch reports.
    variants: tuple[str, ...]


@dataclass
class GeneratedOrg:
    """An organisation with the generator's decisions about it."""

    org: Organization
    anchor: datetime
    plans: dict[str, RepoPlan]


_PLANS: dict[int, GeneratedOrg] = {}


def anchor_from_env() -> datetime:
    """The anchor the benchmark set in ``BENCH_ANCHOR``, else the fixed default."""
    raw = os.environ.get(ANCHOR_ENV)
    if not raw:
        return DEFAULT_ANCHOR
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    except ValueError as error:
        raise ValueError(f"{ANCHOR_ENV} must be whole epoch seconds, got {raw!r}") from error


@dataclass(frozen=True)
class AlertCounts:
    """Open alerts wanted (None: about 1.2 Dependabot and 0.4 secret scanning alerts
    per repository, archived included, as the generator always made)."""

    dependabot_open: int | None = None
    secret_scanning_open: int | None = None

    def spec(self, n_active: int) -> str:
        """The ``--org-arg`` text that rebuilds this organisation: ``N[:D:S]``."""
        if self.dependabot_open is None and self.secret_scanning_open is None:
            return str(n_active)
        d = "" if self.dependabot_open is None else str(self.dependabot_open)
        s = "" if self.secret_scanning_open is None else str(self.secret_scanning_open)
        return f"{n_active}:{d}:{s}"


def parse_spec(spec: int | str) -> tuple[int, AlertCounts]:
    """``N`` or ``N:D:S`` (active repositories, open Dependabot / secret scanning alerts)."""
    parts = str(spec).split(":")
    if len(parts) not in (1, 3):
        raise ValueError(f"expected N or N:D:S, got {spec!r}")
    counts = [int(part) if part else None for part in parts[1:]] or [None, None]
    return int(parts[0]), AlertCounts(counts[0], counts[1])


def build(spec: int | str) -> Organization:
    """The benchmark organisation (factory for ``python -m tests.fake_github --org``)."""
    n_active, alerts = parse_spec(spec)
    return generate(n_active, anchor_from_env(), alerts).org


def generate(n_active: int, anchor: datetime, alerts: AlertCounts | None = None) -> GeneratedOrg:
    """Build the organisation for ``n_active`` active repositories around ``anchor``."""
    if n_active < 1:
        raise ValueError(f"the benchmark needs at least one active repository, got {n_active}")
    alerts = alerts or AlertCounts()
    anchor = anchor.replace(microsecond=0)
    rng = random.Random(f"{SEED}:{n_active}:{int(anchor.timestamp())}")
    org = Organization(login=ORG_LOGIN)
    people = _add_people(org, rng, n_active)
    plans: dict[str, RepoPlan] = {}
    repos: list[Repository] = []
    big_branches, big_prs = _big_repo_indexes(rng, n_active)
    for index in range(n_active):
        shape = _Shape(big_branches=index in big_branches, big_prs=index in big_prs)
        repo, plan = _active_repository(rng, index, anchor, people, shape)
        repos.append(repo)
        plans[repo.name] = plan
    for index in range(_archived_count(n_active)):
        repo, plan = _archived_repository(rng, index, anchor)
        repos.append(repo)
        plans[repo.name] = plan
    rng.shuffle(repos)
    org.repositories = repos
    _add_alerts(org, rng, anchor)
    if alerts.dependabot_open is not None:
        org.dependabot_alerts = _dependabot_alerts(org, rng, anchor, alerts.dependabot_open)
    if alerts.secret_scanning_open is not None:
        org.secret_scanning_alerts = _secret_alerts(org, rng, anchor, alerts.secret_scanning_open)
    generated = GeneratedOrg(org=org, anchor=anchor, plans=plans)
    _PLANS[org.id] = generated
    return generated


def plans_for(org: Organization) -> GeneratedOrg:
    """The decisions recorded when ``org`` was generated in this process."""
    try:
        return _PLANS[org.id]
    except KeyError:
        raise KeyError(
            f"organisation {org.login!r} (id {org.id}) was not built by bench.generate "
            "in this process"
        ) from None


def _archived_count(n_active: int) -> int:
    return round(n_active * ARCHIVED_SHARE)


def _big_repo_indexes(rng: random.Random, n_active: int) -> tuple[set[int], set[int]]:
    """Which repositories get more than 100 branches / open pull requests (~1 in 400)."""
    count = max(1, n_active // 400) if n_active >= 20 else 0
    return set(rng.sample(range(n_active), count)), set(rng.sample(range(n_active), count))


# --------------------------------------------------------------------------- people


@dataclass
class _People:
    members_with_email: list[str]
    members_without_email: list[str]
    outsiders: list[str]
    teams_with_contact: list[str]
    teams_without_contact: list[str]
    missing_users: list[str]
    members: list[str] = field(default_factory=list)


def _add_people(org: Organization, rng: random.Random, n_active: int) -> _People:
    member_count = max(12, n_active // 4)
    logins = [f"{_FIRST_NAMES[k % len(_FIRST_NAMES)]}-{k:05d}" for k in range(member_count)]
    # Three members in five have a verified-domain email.
    with_email = [login for k, login in enumerate(logins) if k % 5 < 3]
    without_email = [login for k, login in enumerate(logins) if k % 5 >= 3]
    for login in with_email:
        org.users[login] = User(login, verified_emails=[f"{login}@{ORG_LOGIN}.example"])
    for login in without_email:
        org.users[login] = User(login)
    org.members = set(logins)
    outsiders = [f"contractor-{k:04d}" for k in range(max(3, n_active // 25))]
    for login in outsiders:
        org.users[login] = User(login)
    for login in BOTS:
        org.users[login] = User(login, type="Bot")
    people = _People(
        members_with_email=with_email,
        members_without_email=without_email,
        outsiders=outsiders,
        teams_with_contact=[],
        teams_without_contact=[],
        missing_users=[f"former-employee-{k:03d}" for k in range(max(2, n_active // 100))],
        members=logins,
    )
    _add_teams(org, rng, n_active, people)
    return people


def _add_teams(org: Organization, rng: random.Random, n_active: int, people: _People) -> None:
    """Teams whose maintainers do / do not give a contact (members never do)."""
    for k in range(max(4, n_active // 20)):
        slug = f"{_WORDS[k % len(_WORDS)]}-team-{k:03d}"
        members = rng.sample(people.members, min(len(people.members), rng.randint(2, 8)))
        if k % 3 == 0:
            maintainers = [rng.choice(people.members_with_email)]
            maintainers += rng.sample(people.members_without_email, 1)
            people.teams_with_contact.append(slug)
        elif k % 3 == 1:
            # Only plain members have a verified email: no contact.
            maintainers = rng.sample(people.members_without_email, 2)
            members.append(rng.choice(people.members_with_email))
            people.teams_without_contact.append(slug)
        else:
            maintainers = []  # a team without maintainers
            people.teams_without_contact.append(slug)
        plain = [login for login in dict.fromkeys(members) if login not in maintainers]
        org.teams.append(Team(slug=slug, maintainers=maintainers, members=plain))


# --------------------------------------------------------------------------- repositories


@dataclass(frozen=True)
class _Shape:
    big_branches: bool
    big_prs: bool


@dataclass
class _Decisions:
    """The checks being made to fail for one repository, and the variants used."""

    fails: set[str] = field(default_factory=set)
    variants: list[str] = field(default_factory=list)

    def fail(self, check: str, variant: str) -> None:
        self.fails.add(check)
        self.variants.append(f"{check}:{variant}")

    def note(self, variant: str) -> None:
        self.variants.append(variant)


def _format(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """A GitHub ``YYYY-MM-DDTHH:MM:SSZ`` timestamp as an aware datetime."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar date ``years`` earlier (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def _repo_name(rng: random.Random, index: int, decisions: _Decisions) -> str:
    word, kind = rng.choice(_WORDS), rng.choice(_KINDS)
    roll = rng.random()
    if roll < 0.02:
        decisions.fail("breaks_naming_convention", "upper case")
        return f"{word.capitalize()}-{kind}-{index:05d}"
    if roll < 0.04:
        decisions.fail("breaks_naming_convention", "dot")
        return f"{word}.{kind}-{index:05d}"
    if roll < 0.05:
        decisions.fail("breaks_naming_convention", "upper-case suffix")
        return f"{word}-{kind}-{index:05d}-V2"
    if roll < 0.15:
        decisions.note("name with underscore")
        return f"{word}_{kind}_{index:05d}"
    return f"{word}-{kind}-{index:05d}"


def _visibility(rng: random.Random) -> str:
    return rng.choices(("private", "internal", "public"), weights=(50, 30, 20))[0]


def _push_times(
    rng: random.Random, anchor: datetime, decisions: _Decisions
) -> tuple[str, str | None, bool]:
    """(created_at, pushed_at, meant_inactive) for an active repository."""
    cutoff = years_before(anchor, 1)
    roll = rng.random()
    if 0.14 <= roll < 0.17:
        never_inactive = roll < 0.16
        days = rng.randint(400, 1500) if never_inactive else rng.randint(1, 300)
        age = "created long ago" if never_inactive else "created recently"
        decisions.note(f"{'inactive' if never_inactive else 'active'}: never pushed, {age}")
        return _format(anchor - timedelta(days=days)), None, never_inactive
    if roll < 0.08:
        pushed = anchor - timedelta(days=rng.randint(400, 2500))
        decisions.note("inactive: pushed years ago")
    elif roll < 0.11:
        pushed = cutoff - timedelta(hours=1)
        decisions.note("inactive: pushed 1 h before the cut-off")
    elif roll < 0.14:
        pushed = cutoff + timedelta(hours=1)
        decisions.note("active: pushed 1 h after the cut-off")
    else:
        pushed = anchor - timedelta(days=rng.randint(0, 360), seconds=rng.randint(0, 86_399))
    inactive = roll < 0.11
    created = pushed - timedelta(days=rng.randint(1, 2000), seconds=rng.randint(0, 86_399))
    return _format(created), _format(pushed), inactive


def _protection(rng: random.Random) -> dict[str, bool]:
    kind = rng.choices(("classic", "ruleset", "both"), weights=(5, 3, 2))[0]
    return {"protection_rule": kind != "ruleset", "ruleset": kind != "classic"}


def _branches(rng: random.Random, shape: _Shape, decisions: _Decisions) -> list[Branch]:
    count = rng.randint(101, 180) if shape.big_branches else rng.choice((1, 1, 2, 3, 4, 6))
    names = ["main"] + [f"feature/{k:04d}" for k in range(1, count)]
    branches = [Branch(name, **_protection(rng)) for name in names]
    if rng.random() >= (0.6 if shape.big_branches else 0.25):
        decisions.note(f"{count} branches, all protected")
        return branches
    if shape.big_branches:
        # The only unprotected branch sorts last: beyond the first page of 100.
        branches[-1] = Branch("zz-work-in-progress")
        decisions.fail("unprotected_branches", f"{count} branches, only the last unprotected")
    else:
        victim = rng.randrange(count)
        branches[victim] = Branch(names[victim])
        decisions.fail("unprotected_branches", f"branch {names[victim]} unprotected")
    return branches


def _commits(rng: random.Random, decisions: _Decisions) -> tuple[list[Commit], int | None]:
    """History newest first; the index of the first commit without a valid signature."""
    length = rng.randint(1, 22)
    commits = [Commit(oid=f"{rng.getrandbits(160):040x}", signature="valid") for _ in range(length)]
    if rng.random() >= 0.3:
        return commits, None
    bad = rng.randrange(length)
    commits[bad].signature = rng.choice((None, "invalid"))
    decisions.note(f"commit {bad} of {length} signature {commits[bad].signature}")
    return commits, bad


def _readme_files(rng: random.Random, decisions: _Decisions) -> dict[str, str]:
    if rng.random() < 0.12:
        path = rng.choice(
            (None, "READMEfoo.md", "README/index.md", "docs/guide/README.md", "src/README.md")
        )
        decisions.fail("readme_missing", f"readme variant {path}")
        return {} if path is None else {path: "# not the README GitHub shows\n"}
    path = rng.choice(
        (
            "README.md",
            "README.md",
            "readme.md",
            "README",
            "README.rst",
            "Readme.txt",
            ".github/README.md",
            "docs/README.md",
            "docs/readme.markdown",
        )
    )
    decisions.note(f"readme {path}")
    return {path: "# Service\n"}


def _license_files(rng: random.Random, visibility: str, decisions: _Decisions) -> dict[str, str]:
    present = ("LICENSE", "LICENSE", "LICENSE.md", "licence.txt", "COPYING", "License.rst")
    absent = (None, "docs/LICENSE", "LICENSES/MIT.txt")
    if visibility != "public":
        path = rng.choice(present + absent)
        return {} if path is None else {path: "MIT License\n"}
    if rng.random() < 0.15:
        path = rng.choice(absent)
        decisions.fail("license_missing", f"license variant {path}")
        return {} if path is None else {path: "MIT License\n"}
    path = rng.choice(present)
    decisions.note(f"license {path}")
    return {path: "MIT License\n"}


def _pirr_files(rng: random.Random, visibility: str, decisions: _Decisions) -> dict[str, str]:
    present = ("PIRR.md", "PIRR.md", "pirr.md", "Pirr.MD")
    absent = (None, "PIRR.txt", "docs/PIRR.md")
    if visibility == "public":
        path = rng.choice(present + absent)
        return {} if path is None else {path: "Incident response\n"}
    if rng.random() < 0.2:
        path = rng.choice(absent)
        decisions.fail("pirr_missing", f"pirr variant {path}")
        return {} if path is None else {path: "Incident response\n"}
    path = rng.choice(present)
    decisions.note(f"pirr {path}")
    return {path: "Incident response\n"}


def _gitignore_files(rng: random.Random, decisions: _Decisions) -> dict[str, str]:
    if rng.random() < 0.1:
        path = rng.choice((None, ".github/.gitignore", "gitignore"))
        decisions.fail("gitignore_missing", f"gitignore variant {path}")
        return {} if path is None else {path: "*.pyc\n"}
    return {".gitignore": "*.pyc\n.venv/\n"}


_CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
_PATTERNS = ("*", "/src/", "*.py", "/docs/", "/.github/", "*.tf", "/api/**")


def _no_contact_owners(rng: random.Random, people: _People) -> list[str]:
    kinds = rng.sample(range(6), rng.randint(1, 3))
    owners = []
    for kind in kinds:
        if kind == 0:
            owners.append("@" + rng.choice(people.members_without_email))
        elif kind == 1:
            owners.append(f"@{ORG_LOGIN}/" + rng.choice(people.teams_without_contact))
        elif kind == 2:
            owners.append(f"@{OTHER_ORG}/" + rng.choice(people.teams_with_contact))
        elif kind == 3:
            owners.append("@" + rng.choice(people.missing_users))
        elif kind == 4:
            owners.append("security@" + ORG_LOGIN + ".example")
        else:
            owners.append("@" + rng.choice(people.outsiders))
    return owners


def _contact_owner(rng: random.Random, people: _People) -> str:
    if rng.random() < 0.5:
        return "@" + rng.choice(people.members_with_email)
    return f"@{ORG_LOGIN}/" + rng.choice(people.teams_with_contact)


def _codeowners_text(rng: random.Random, people: _People, contact: bool) -> str:
    """A CODEOWNERS file whose owners give a point of contact or do not."""
    rules = [
        [pattern, *_no_contact_owners(rng, people)]
        for pattern in rng.sample(_PATTERNS, rng.randint(1, 3))
    ]
    if contact:
        rule = rng.choice(rules)
        rule.insert(rng.randint(1, len(rule)), _contact_owner(rng, people))
    separator = "\t" if rng.random() < 0.15 else " "
    lines = ["# Code owners: reviews are requested automatically", ""]
    lines += [separator.join(rule) for rule in rules]
    if not contact:
        # Contacts that only appear in comments are not owners.
        lines.insert(1, "# escalations: " + _contact_owner(rng, people))
        if rng.random() < 0.3:
            lines[-1] += "  # backup " + _contact_owner(rng, people)
    newline = "\r\n" if rng.random() < 0.15 else "\n"
    return newline.join(lines) + newline


def _codeowners_files(rng: random.Random, people: _People, decisions: _Decisions) -> dict[str, str]:
    if rng.random() < 0.2:
        path = rng.choice((None, None, ".gitlab/CODEOWNERS", "src/CODEOWNERS"))
        decisions.fail("codeowners_missing", f"codeowners variant {path}")
        if path is None:
            return {}
        return {path: _codeowners_text(rng, people, contact=True)}
    places = [path for path in _CODEOWNERS_PATHS if rng.random() < 0.4] or [
        rng.choice(_CODEOWNERS_PATHS)
    ]
    contact = rng.random() >= 0.25
    files = {places[0]: _codeowners_text(rng, people, contact)}
    for loser in places[1:]:
        # GitHub uses the first file only: the others say the opposite.
        files[loser] = _codeowners_text(rng, people, not contact)
    if contact:
        decisions.note(f"codeowners {places}, contact")
    else:
        decisions.fail("point_of_contact_missing", f"codeowners {places}, no contact")
    return files


def _files(
    rng: random.Random, visibility: str, people: _People, decisions: _Decisions
) -> dict[str, str]:
    files = {"src/main.py": "print('hello')\n", "Makefile": "all:\n"}
    if rng.random() < 0.3:
        files[".github/workflows/ci.yml"] = "on: push\n"
    files.update(_readme_files(rng, decisions))
    files.update(_license_files(rng, visibility, decisions))
    files.update(_pirr_files(rng, visibility, decisions))
    files.update(_gitignore_files(rng, decisions))
    files.update(_codeowners_files(rng, people, decisions))
    return files


def _internal_author(rng: random.Random, people: _People) -> tuple[str | None, str]:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(people.members), "User"
    if roll < 0.85:
        return rng.choice(BOTS), "Bot"
    return None, "User"  # deleted account


def _pull_requests(
    rng: random.Random, people: _People, shape: _Shape, decisions: _Decisions
) -> list[PullRequest]:
    count = rng.randint(101, 140) if shape.big_prs else rng.choice((0, 0, 0, 1, 2, 3, 5, 8))
    prs = []
    for number in range(1, count + 1):
        author, kind = _internal_author(rng, people)
        prs.append(PullRequest(number=number, author=author, author_type=kind))
    if rng.random() < 0.3:
        # Closed or merged pull requests by outsiders do not count.
        state = rng.choice(("CLOSED", "MERGED"))
        prs.insert(0, PullRequest(count + 2, rng.choice(people.outsiders), state=state))
    if shape.big_prs or rng.random() < 0.12:
        # Last, with the highest number: beyond the first page for big repositories.
        prs.append(PullRequest(count + 1, rng.choice(people.outsiders)))
        decisions.fail("external_pr", f"{count + 1} open pull requests, the last external")
    else:
        decisions.note(f"{count} open pull requests, none external")
    return prs


def _security(
    rng: random.Random, visibility: str, decisions: _Decisions
) -> tuple[str | None, str | None]:
    """(secret_scanning, push_protection) statuses; None when GitHub does not reveal them."""
    if rng.random() < 0.05:
        statuses: tuple[str | None, str | None] = (None, None)
    else:
        statuses = (
            rng.choices(("enabled", "disabled"), weights=(75, 25))[0],
            rng.choices(("enabled", "disabled"), weights=(65, 35))[0],
        )
    if visibility == "public":
        for check, status in zip(
            ("secret_scanning_disabled", "push_protection_disabled"), statuses, strict=True
        ):
            if status != "enabled":
                decisions.fail(check, f"public, status {status}")
    return statuses


def _active_repository(
    rng: random.Random, index: int, anchor: datetime, people: _People, shape: _Shape
) -> tuple[Repository, RepoPlan]:
    decisions = _Decisions()
    name = _repo_name(rng, index, decisions)
    visibility = _visibility(rng)
    created_at, pushed_at, meant_inactive = _push_times(rng, anchor, decisions)
    secret_scanning, push_protection = _security(rng, visibility, decisions)
    vulnerability_alerts = rng.random() >= 0.1
    if not vulnerability_alerts:
        decisions.fail("dependabot_disabled", "hasVulnerabilityAlertsEnabled false")
    repo = Repository(
        name=name,
        visibility=visibility,
        fork=rng.random() < 0.1,
        is_template=rng.random() < 0.02,
        created_at=created_at,
        pushed_at=pushed_at,
        vulnerability_alerts=vulnerability_alerts,
        secret_scanning=secret_scanning,
        push_protection=push_protection,
    )
    first_bad: int | None = None
    if not shape.big_branches and not shape.big_prs and rng.random() < 0.03:
        _make_empty(repo, visibility, decisions)
    else:
        repo.branches = _branches(rng, shape, decisions)
        repo.commits, first_bad = _commits(rng, decisions)
        repo.files = _files(rng, visibility, people, decisions)
        repo.pull_requests = _pull_requests(rng, people, shape, decisions)
    plan = RepoPlan(
        name=name,
        visibility=visibility.upper(),
        url=f"https://github.com/{ORG_LOGIN}/{name}",
        created_at=created_at,
        archived=False,
        fails=frozenset(decisions.fails),
        first_bad_commit=first_bad,
        meant_inactive=meant_inactive,
        variants=tuple(decisions.variants),
    )
    return repo, plan


def _make_empty(repo: Repository, visibility: str, decisions: _Decisions) -> None:
    """No commits: no branches, no files (checks.md's empty-repository row)."""
    repo.default_branch = None
    repo.branches = []
    repo.commits = []
    repo.files = {}
    repo.pull_requests = []
    decisions.note("empty repository")
    for check in ("readme_missing", "gitignore_missing", "codeowners_missing"):
        decisions.fail(check, "empty repository")
    if visibility == "public":
        decisions.fail("license_missing", "empty repository")
    else:
        decisions.fail("pirr_missing", "empty repository")


def _archived_repository(
    rng: random.Random, index: int, anchor: datetime
) -> tuple[Repository, RepoPlan]:
    name = f"{rng.choice(_WORDS)}-legacy-{index:05d}"
    visibility = _visibility(rng)
    pushed = anchor - timedelta(days=rng.randint(200, 3000))
    created = pushed - timedelta(days=rng.randint(1, 1500))
    repo = Repository(
        name=name,
        visibility=visibility,
        archived=True,
        created_at=_format(created),
        pushed_at=_format(pushed),
        files={"README.md": "# Archived\n"},
    )
    plan = RepoPlan(
        name=name,
        visibility=visibility.upper(),
        url=f"https://github.com/{ORG_LOGIN}/{name}",
        created_at=repo.created_at,
        archived=True,
        fails=frozenset(),
        first_bad_commit=None,
        meant_inactive=True,
        variants=("archived",),
    )
    return repo, plan


# --------------------------------------------------------------------------- alerts


def _alert_time(rng: random.Random, anchor: datetime, threshold: int) -> datetime:
    """Ages spread widely, a third of them within a day or two of the threshold.

    Near the threshold an alert is created either 30 minutes before a whole
    number of days ago (age exactly that many days for the next 23.5 h) or
    one hour after it (one day younger for the next hour). The others keep at
    least 30 minutes from a whole-day boundary too, so that every alert's age
    is the same for any run starting within 30 minutes of the anchor.
    """
    if rng.random() < 0.35:
        days = threshold + rng.choice((-1, 0, 1, 2))
        offset = rng.choice((timedelta(minutes=30), -timedelta(hours=1)))
        return anchor - timedelta(days=max(days, 0)) - offset
    return anchor - timedelta(days=rng.randint(0, 500), seconds=rng.randint(1_800, 84_600))


def _add_alerts(org: Organization, rng: random.Random, anchor: datetime) -> None:
    thresholds = Settings().dependabot_thresholds
    secret_threshold = Settings().secret_scanning_threshold
    for repo in sorted(org.repositories, key=lambda item: item.name):
        for number in range(1, rng.choice((0, 0, 1, 1, 2, 3, 3)) + 1):
            severity = rng.choices(SEVERITIES, weights=(10, 30, 40, 20))[0]
            created = _alert_time(rng, anchor, thresholds[severity])
            state = rng.choices(("open", "dismissed", "fixed", "auto_dismissed"), (85, 6, 7, 2))[0]
            org.dependabot_alerts.append(
                _dependabot_alert(rng, number, repo.name, severity, _format(created), state)
            )
        for number in range(1, rng.choice((0, 0, 0, 0, 1, 1, 2, 0)) + 1):
            created = _alert_time(rng, anchor, secret_threshold)
            state = rng.choices(("open", "resolved"), (80, 20))[0]
            org.secret_scanning_alerts.append(
                _secret_alert(rng, number, repo.name, _format(created), state)
            )


def _maybe(rng: random.Random, value: Any, none_share: float) -> Any:
    return None if rng.random() < none_share else value


def _dependabot_alert(  # noqa: PLR0917 (the alert's identity, then the random source)
    rng: random.Random, number: int, repository: str, severity: str, created: str, state: str
) -> DependabotAlert:
    ecosystem, package, manifest = rng.choice(_PACKAGES)
    score = round(rng.uniform(1.0, 10.0), 1)
    return DependabotAlert(
        number,
        repository,
        severity,
        created,
        state=state,
        ecosystem=ecosystem,
        package=package,
        manifest_path=manifest,
        scope=rng.choice(("runtime", "runtime", "development", None)),
        cve_id=_maybe(rng, f"CVE-20{rng.randint(15, 26)}-{rng.randint(1000, 99999)}", 0.3),
        ghsa_id="GHSA-" + "-".join(f"{rng.getrandbits(16):04x}" for _ in range(3)),
        summary=f"Vulnerability {rng.getrandbits(24):06x} in {package}",
        cvss_v3=_maybe(rng, score, 0.2),
        cvss_v4=_maybe(rng, round(min(score + 0.4, 10.0), 1), 0.6),
        cvss=_maybe(rng, score, 0.3) or 0.0,
        epss=_maybe(rng, round(rng.random() ** 4, 5), 0.3),
        patched_version=_maybe(rng, f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.1", 0.15),
        omit=tuple(path for path in _DEPENDABOT_OMISSIONS if rng.random() < 0.08),
    )


def _secret_alert(
    rng: random.Random, number: int, repository: str, created: str, state: str
) -> SecretScanningAlert:
    generic = rng.random() < 0.25
    pool = sorted(GENERIC_SECRET_TYPES) if generic else sorted(SECRET_PROVIDERS)
    return SecretScanningAlert(
        number,
        repository,
        created,
        f"ghp_bench{rng.getrandbits(64):016x}",
        secret_type=rng.choice(pool),
        state=state,
        validity=rng.choice(("active", "inactive", "unknown", "unknown", None)),
        publicly_leaked=rng.choice((False, False, True, None)),
        multi_repo=rng.choice((False, False, True, None)),
        push_protection_bypassed=rng.choice((False, False, True, None)),
        omit=tuple(path for path in _SECRET_OMISSIONS if rng.random() < 0.08),
    )


# An advisory published today opens alerts in many repositories in the same
# second: this share of alerts repeats the previous one's creation time.
SAME_SECOND_SHARE = 0.2


def _dependabot_alerts(
    org: Organization, rng: random.Random, anchor: datetime, open_count: int
) -> list[DependabotAlert]:
    """``open_count`` open alerts (and 15 % as many closed ones) over random repositories."""
    thresholds = Settings().dependabot_thresholds
    names = sorted(repo.name for repo in org.repositories)
    numbers: dict[str, int] = {}
    alerts: list[DependabotAlert] = []
    closed = round(open_count * 0.15)
    severity, created = "medium", anchor
    for index in range(open_count + closed):
        if index == 0 or rng.random() >= SAME_SECOND_SHARE:
            severity = rng.choices(SEVERITIES, weights=(10, 30, 40, 20))[0]
            created = _alert_time(rng, anchor, thresholds[severity])
        name = rng.choice(names)
        numbers[name] = numbers.get(name, 0) + 1
        state = "open" if index < open_count else rng.choice(("dismissed", "fixed"))
        alerts.append(
            _dependabot_alert(rng, numbers[name], name, severity, _format(created), state)
        )
    return alerts


def _secret_alerts(
    org: Organization, rng: random.Random, anchor: datetime, open_count: int
) -> list[SecretScanningAlert]:
    """``open_count`` open alerts (and 25 % as many resolved ones) over random repositories."""
    threshold = Settings().secret_scanning_threshold
    names = sorted(repo.name for repo in org.repositories)
    numbers: dict[str, int] = {}
    alerts: list[SecretScanningAlert] = []
    created = anchor
    for index in range(open_count + round(open_count * 0.25)):
        if index == 0 or rng.random() >= SAME_SECOND_SHARE:
            created = _alert_time(rng, anchor, threshold)
        name = rng.choice(names)
        numbers[name] = numbers.get(name, 0) + 1
        state = "open" if index < open_count else "resolved"
        alerts.append(_secret_alert(rng, numbers[name], name, _format(created), state))
    return alerts


# --------------------------------------------------------------------------- expectations


def whole_days(now: datetime, created: datetime) -> int:
    """Age in whole days, ``floor((now - created) / 24h)``."""
    return (now - created) // timedelta(days=1)


def _is_inactive(repo: Repository, now: datetime, years: int) -> bool:
    last = repo.pushed_at if repo.pushed_at is not None else repo.created_at
    return parse_time(last) < years_before(now, years)


def _checklist(
    plan: RepoPlan, repo: Repository, now: datetime, settings: Settings
) -> dict[str, bool]:
    fails = set(plan.fails)
    if _is_inactive(repo, now, settings.inactivity_years):
        fails.add("inactive")
    if plan.first_bad_commit is not None and plan.first_bad_commit < settings.signed_commit_number:
        fails.add("unsigned_commits")
    return {check: check in fails for check in CHECKS}


def expected(
    org: Organization, now: datetime, settings: Settings | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The three datasets a correct run at ``now`` with ``settings`` writes for ``org``."""
    settings = settings or Settings()
    generated = plans_for(org)
    by_name = {repo.name: repo for repo in org.repositories}
    repositories: list[dict[str, Any]] = []
    for plan in generated.plans.values():
        if plan.archived:
            continue
        checklist = _checklist(plan, by_name[plan.name], now, settings)
        repositories.append(
            {
                "name": plan.name,
                "type": plan.visibility,
                "url": plan.url,
                "created_at": plan.created_at,
                "checklist": checklist,
                "unknown": {},  # every permission granted, every fact answered
                "exceptions": {},
                "failing": sorted(check for check, value in checklist.items() if value),
            }
        )
    repositories.sort(key=lambda record: record["name"])
    return {
        "repositories": repositories,
        "dependabot": _expected_dependabot(generated, now, settings),
        "secret_scanning": _expected_secret_scanning(generated, now, settings),
    }


def _omitted(omit: Sequence[str], path: str) -> bool:
    """Whether the fake leaves ``path`` (or an object holding it) out of the answer."""
    return any(path == gone or path.startswith(gone + ".") for gone in omit)


def _first_above_zero(*scores: float | None) -> float | None:
    return next((score for score in scores if score is not None and score > 0), None)


def _expected_dependabot(
    generated: GeneratedOrg, now: datetime, settings: Settings
) -> list[dict[str, Any]]:
    records = []
    for alert in generated.org.dependabot_alerts:
        age = whole_days(now, parse_time(alert.created_at))
        threshold = settings.dependabot_thresholds[alert.severity]
        if alert.state != "open" or age <= threshold:
            continue
        plan = generated.plans[alert.repository]

        def shown(path: str, value: Any, omit: Sequence[str] = alert.omit) -> Any:
            return None if _omitted(omit, path) else value

        records.append(
            {
                "repository": plan.name,
                "repository_url": plan.url,
                "created_at": alert.created_at,
                "severity": alert.severity,
                "alert_url": f"{plan.url}/security/dependabot/{alert.number}",
                "repository_visibility": plan.visibility,
                "repository_archived": plan.archived,
                "number": alert.number,
                "ghsa_id": shown("security_advisory.ghsa_id", alert.ghsa_id),
                "cve_id": shown("security_advisory.cve_id", alert.cve_id),
                "summary": shown("security_advisory.summary", alert.summary),
                "package_ecosystem": shown("dependency.package.ecosystem", alert.ecosystem),
                "package_name": shown("dependency.package.name", alert.package),
                "manifest_path": shown("dependency.manifest_path", alert.manifest_path),
                "scope": shown("dependency.scope", alert.scope),
                "patched_version": shown(
                    "security_vulnerability.first_patched_version", alert.patched_version
                ),
                "cvss_score": _first_above_zero(
                    shown("security_advisory.cvss_severities.cvss_v4", alert.cvss_v4),
                    shown("security_advisory.cvss_severities.cvss_v3", alert.cvss_v3),
                    shown("security_advisory.cvss", alert.cvss),
                ),
                "epss_percentage": shown("security_advisory.epss", alert.epss),
                "age_days": age,
                "days_overdue": age - threshold,
            }
        )
    records.sort(key=lambda r: (r["repository"], r["created_at"], r["alert_url"]))
    return records


def _expected_secret_scanning(
    generated: GeneratedOrg, now: datetime, settings: Settings
) -> list[dict[str, Any]]:
    records = []
    listed = set(settings.secret_scanning_generic_types)
    for alert in generated.org.secret_scanning_alerts:
        age = whole_days(now, parse_time(alert.created_at))
        threshold = settings.secret_scanning_threshold
        if alert.state != "open" or age <= threshold:
            continue
        if alert.secret_type in GENERIC_SECRET_TYPES and alert.secret_type not in listed:
            continue  # GitHub lists it only when asked by name
        plan = generated.plans[alert.repository]

        def shown(path: str, value: Any, omit: Sequence[str] = alert.omit) -> Any:
            return None if _omitted(omit, path) else value

        records.append(
            {
                "repository": plan.name,
                "repository_url": plan.url,
                "creation_date": alert.created_at,
                "alert_url": f"{plan.url}/security/secret-scanning/{alert.number}",
                "repository_visibility": plan.visibility,
                "repository_archived": plan.archived,
                "number": alert.number,
                "secret_type": alert.secret_type,
                "secret_type_display_name": shown("secret_type_display_name", alert.display_name),
                "provider": shown("provider", alert.provider),
                "validity": shown("validity", alert.validity),
                "publicly_leaked": shown("publicly_leaked", alert.publicly_leaked),
                "multi_repo": shown("multi_repo", alert.multi_repo),
                "push_protection_bypassed": shown(
                    "push_protection_bypassed", alert.push_protection_bypassed
                ),
                "age_days": age,
                "days_overdue": age - threshold,
            }
        )
    records.sort(key=lambda r: (r["repository"], r["creation_date"], r["alert_url"]))
    return records
