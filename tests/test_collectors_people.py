"""The people directory against the fake: looked up once, shared between threads, paged."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from collectors.people import OrgDirectory, people_facts
from policy.checks import owners_with_contact
from tests.fake_github import FakeGitHub, Faults
from tests.fake_github.model import Organization, Team, User
from tests.fixtures.clients import connected_client, run_clock

Factory = Callable[..., FakeGitHub]


def people_org() -> Organization:
    users = {f"m{i:03d}": User(f"m{i:03d}") for i in range(150)}
    users["m149"].verified_emails = ["m149@corp.example"]
    users["solo"] = User("solo", verified_emails=["solo@corp.example"])
    users["quiet"] = User("quiet")
    return Organization(
        login="corp",
        members={f"m{i:03d}" for i in range(250)} | {"solo"},
        teams=[
            Team("big", maintainers=[f"m{i:03d}" for i in range(150)]),
            Team("small", maintainers=["quiet"]),
        ],
        users=users,
    )


def test_members_are_listed_once_for_twenty_threads(fake_github: Factory) -> None:
    fake = fake_github(people_org(), Faults(latency=0.01), clock=run_clock())
    directory = OrgDirectory(connected_client(fake, fake.clock, pool_size=20), "corp")
    barrier = threading.Barrier(20)

    def members() -> frozenset[str]:
        barrier.wait()
        return directory.members()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: members(), range(20)))
    assert all(answer == answers[0] for answer in answers)
    assert len(answers[0]) == 251 and "m249" in answers[0]  # 250 + solo
    assert fake.stats.by_route["org_members"] == 3  # 251 members, 100 per page, once


def test_contacts_follow_team_pages_and_user_batches(fake_github: Factory) -> None:
    fake = fake_github(people_org(), clock=run_clock())
    client = connected_client(fake, fake.clock)
    with ThreadPoolExecutor(max_workers=4) as pool:
        directory = OrgDirectory(client, "corp", pool)
        owners = {"@corp/big", "@corp/small", "@corp/missing", "@other/big", "@solo", "@quiet"}
        owners |= {"@Ghost-User"}
        people = people_facts(directory, owners, members_needed=False)
        assert owners_with_contact(owners, people) == {"@corp/big", "@solo"}
        assert people.members is None and fake.stats.by_route["org_members"] == 0
        queries = fake.stats.by_route["graphql"]
        # teams: 1 query + 1 next page for "big" (150 maintainers);
        # users: 153 distinct logins -> 2 batches of at most 100.
        assert queries == 4
        again = people_facts(directory, {"@corp/big", "@SOLO"}, members_needed=False)
        assert owners_with_contact({"@corp/big", "@SOLO"}, again) == {"@corp/big", "@solo"}
        assert fake.stats.by_route["graphql"] == queries  # cached: no new request
    assert directory.team_maintainers(["big"])["big"][-1] == "m149"
