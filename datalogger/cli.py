"""``python -m handler``: the command line of a local run, and how a run ends locally.

The command takes no arguments (the run is configured by environment variables,
as in Lambda); ``--help`` prints the usage. Exit status: 0 every enabled
collection succeeded, 1 the run failed (what succeeded and the summary were
written), 2 the run could not start (configuration, private key, App ID or
installation: nothing was written).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from datalogger.errors import RunFailed
from datalogger.logs import redact

#: A cause longer than this is cut: the logs and run_summary.json have it whole.
MAX_CAUSE = 400
EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_SETUP_ERROR = 2

DESCRIPTION = """\
Run the GitHub policy data logger once, locally, as Lambda would run it.

It reads its configuration from environment variables and config.json (no
arguments): GITHUB_ORG, GITHUB_APP_CLIENT_ID, one private key source
(GITHUB_APP_PRIVATE_KEY, GITHUB_APP_PRIVATE_KEY_FILE or AWS_SECRET_NAME), and
WRITE_TO_S3=false with OUTPUT_DIR to write the datasets to a local directory.
Every variable is described in docs/configuration.md. Logs are JSON lines on
standard output.
"""

EPILOG = """\
exit status:
  0  every enabled collection succeeded
  1  the run failed; what succeeded and run_summary.json were written
  2  the run could not start (configuration, private key, App ID or
     installation); nothing was written

example:
  GITHUB_ORG=acme GITHUB_APP_CLIENT_ID=Iv23liExample \\
  GITHUB_APP_PRIVATE_KEY_FILE=./app.private-key.pem \\
  WRITE_TO_S3=false OUTPUT_DIR=./output python -m handler
"""


def parse_command_line(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The (empty) options; ``--help`` prints the usage and exits 0, anything else exits 2."""
    parser = argparse.ArgumentParser(
        prog="python -m handler",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser.parse_args(argv)


def invoked_locally(context: Any) -> bool:
    """Whether ``serverless invoke local`` runs the handler (its fake Lambda context).

    There, an uncaught exception would add a Python traceback and a Node stack
    to the one JSON line that already says what went wrong.
    """
    return type(context).__name__ == "FakeLambdaContext"


def short_cause(error: BaseException) -> str:
    """One line for a person: what stopped the run (the logs have the details)."""
    text = _one_reason(error) if isinstance(error, RunFailed) else str(error)
    text = redact(" ".join(text.split())) or type(error).__name__
    if len(text) > MAX_CAUSE:
        text = text[: MAX_CAUSE - 3] + "..."
    return f"The data logger run failed: {text}"


def _one_reason(error: RunFailed) -> str:
    """The failed collections and their reason, once when they share it."""
    reasons = set(error.failed.values())
    if len(reasons) != 1:
        return str(error)
    names = ", ".join(sorted(error.failed))
    return f"{names} failed: {reasons.pop()} (see run_summary.json)"
