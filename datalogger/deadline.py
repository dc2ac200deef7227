"""The Lambda deadline, as seconds of GitHub work left.

With a Lambda context, ``get_remaining_time_in_millis()`` minus a safety margin
(60 s: time to write what succeeded and the summary) is the time GitHub work may
still take. Without a context (local runs) there is no deadline.
"""

from __future__ import annotations

from typing import Protocol

SAFETY_MARGIN_SECONDS = 60.0


class LambdaContext(Protocol):
    """The one method of the Lambda context object the handler uses."""

    def get_remaining_time_in_millis(self) -> int: ...


class Deadline:
    """Seconds of GitHub work left; ``None`` means unlimited."""

    def __init__(
        self, context: object | None, margin_seconds: float = SAFETY_MARGIN_SECONDS
    ) -> None:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        self._remaining_millis = remaining if callable(remaining) else None
        self.margin_seconds = margin_seconds

    def remaining(self) -> float | None:
        """Seconds of GitHub work left (may be negative), or None without a deadline."""
        if self._remaining_millis is None:
            return None
        return float(self._remaining_millis()) / 1000.0 - self.margin_seconds

    def expired(self) -> bool:
        """True when no new GitHub work may start."""
        left = self.remaining()
        return left is not None and left <= 0

    def describe(self) -> str:
        """A phrase for messages: how much Lambda time was left."""
        left = self.remaining()
        if left is None:
            return "no deadline"
        return (
            f"{left + self.margin_seconds:.0f} s of Lambda time left, "
            f"{self.margin_seconds:.0f} s kept to write outputs"
        )
