"""GitHub App client: authentication, paging, GraphQL, retries, rate limits, deadline.

See docs/architecture.md for the interface other modules code against.
"""

from .client import GitHubClient
from .clock import SYSTEM_CLOCK, Clock, ManualClock
from .errors import (
    AppAuthError,
    AppNotInstalledError,
    DeadlineExceeded,
    ForbiddenError,
    GitHubError,
    GraphQLError,
    HTTPStatusError,
    NotFoundError,
    PrivateKeyError,
    RateLimitExceeded,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from .responses import ApiStats, GraphQLResponse, Response
from .urls import graphql_url_for

__all__ = [
    "SYSTEM_CLOCK",
    "ApiStats",
    "AppAuthError",
    "AppNotInstalledError",
    "Clock",
    "DeadlineExceeded",
    "ForbiddenError",
    "GitHubClient",
    "GitHubError",
    "GraphQLError",
    "GraphQLResponse",
    "HTTPStatusError",
    "ManualClock",
    "NotFoundError",
    "PrivateKeyError",
    "RateLimitExceeded",
    "Response",
    "ResponseFormatError",
    "ServerError",
    "TransportError",
    "graphql_url_for",
]
