"""Collectors: GitHub facts in, the three datasets out.

Each collection returns a :class:`CollectionResult`: the dataset's records,
already sorted and with their fields in the schema's order, and warnings the
run summary should show (for example a permission the App lacks). A
collection that cannot produce a true, complete dataset raises
:class:`collectors.errors.CollectionError` instead of returning fewer records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CollectionResult"]


@dataclass(frozen=True)
class CollectionResult:
    """A finished collection: sorted records in final field order, warnings, and (for
    repositories) how many records have at least one unknown check and how many have
    a non-empty ``failing``."""

    records: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    unknown_repositories: int | None = None
    non_compliant: int | None = None
