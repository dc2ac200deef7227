"""Why a collection could not produce a true, complete dataset.

Every message names the repository or endpoint and the cause, so that the run
summary tells an operator what to fix. None ever contains a token or secret.
"""

from __future__ import annotations


class CollectionError(Exception):
    """A collection cannot produce a true, complete dataset."""


class FeatureUnavailableError(CollectionError):
    """An organisation alert endpoint is off or not permitted (403/404)."""


class UnexpectedAnswerError(CollectionError):
    """GitHub's answer lacks a field or has the wrong type where the collector needs it."""


class RepositoryUnreadableError(CollectionError):
    """The facts of one repository could not be read (missing, or its query keeps failing)."""
