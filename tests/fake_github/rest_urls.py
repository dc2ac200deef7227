"""The hypermedia URLs GitHub puts in every user and repository object.

GitHub's REST description makes them required (``simple-user``,
``minimal-repository``, ``simple-repository``); the fake sends them so that
its answers validate, in GitHub's exact templates (RFC 6570, as in its examples).
"""

from __future__ import annotations

import base64
import hashlib

WEB = "https://github.com"
API = "https://api.github.com"

_REPOSITORY_PATHS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def node_id(kind: str, number: int) -> str:
    """A legacy global node id (``MDQ6VXNlcjE=`` is ``04:User1``)."""
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode("ascii")


def repository_urls(full_name: str) -> dict[str, str]:
    """``url`` and every ``*_url`` template of a repository object."""
    base = f"{API}/repos/{full_name}"
    urls = {"url": base, "html_url": f"{WEB}/{full_name}"}
    urls.update({name: base + suffix for name, suffix in _REPOSITORY_PATHS.items()})
    return urls


def repository_clone_urls(full_name: str) -> dict[str, str]:
    """The clone URLs a full repository object also carries."""
    return {
        "git_url": f"git://github.com/{full_name}.git",
        "ssh_url": f"git@github.com:{full_name}.git",
        "clone_url": f"{WEB}/{full_name}.git",
        "svn_url": f"{WEB}/{full_name}",
    }


def user_fields(login: str, user_id: int, kind: str = "User") -> dict[str, object]:
    """Every required field of a ``simple-user`` (an organisation is one too)."""
    users = f"{API}/users/{login}"
    owner = f"{API}/orgs/{login}" if kind == "Organization" else users
    digest = hashlib.sha256(login.lower().encode()).hexdigest()[:12]
    return {
        "login": login,
        "id": user_id,
        "node_id": node_id("Organization" if kind == "Organization" else "User", user_id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4&h={digest}",
        "gravatar_id": "",
        "url": owner,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{users}/followers",
        "following_url": f"{users}/following{{/other_user}}",
        "gists_url": f"{users}/gists{{/gist_id}}",
        "starred_url": f"{users}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{users}/subscriptions",
        "organizations_url": f"{users}/orgs",
        "repos_url": f"{owner}/repos",
        "events_url": f"{owner}/events"
        if kind == "Organization"
        else f"{users}/events{{/privacy}}",
        "received_events_url": f"{users}/received_events",
        "type": kind,
        "site_admin": False,
    }
