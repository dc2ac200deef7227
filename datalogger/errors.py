"""The data logger's own exceptions (the GitHub ones live in ``github_client.errors``)."""

from __future__ import annotations


class DataLoggerError(Exception):
    """Base of the errors raised by ``datalogger`` and ``handler``."""


class ConfigError(DataLoggerError):
    """The configuration (file, environment or event) is missing or invalid.

    The message names the file or variable, the key, and how to fix it.
    """


class WriteError(DataLoggerError):
    """A dataset or the run summary could not be written (local file or S3)."""


class ReadError(DataLoggerError):
    """The previous latest copy of a file exists but could not be read (local file or S3).

    The run goes on: that dataset's changes are reported ``not_collected`` and
    ``trend.json`` is left as it is rather than started again.
    """


class RunFailed(DataLoggerError):  # noqa: N818 - the name the brief and docs use
    """At least one enabled collection failed; everything that succeeded was written.

    Raised after the outputs and the run summary are written, so that Lambda marks
    the invocation as failed and alarms fire.
    """

    def __init__(self, failed: dict[str, str], summary: dict[str, object]) -> None:
        self.failed = dict(failed)
        self.summary = summary
        reasons = "; ".join(f"{name}: {error}" for name, error in sorted(self.failed.items()))
        super().__init__(
            f"{len(self.failed)} collection(s) failed ({', '.join(sorted(self.failed))}); "
            f"see run_summary.json. {reasons}"
        )
