"""AWS Lambda entry point of the GitHub policy data logger: wiring only.

config -> logging -> :func:`datalogger.run.execute` (private key, GitHub App
client, permission preflight, inventory, collections, datasets, run summary).

``handler(event, context)`` is what Lambda calls; :func:`run` is the same with
its dependencies (environment, clock, AWS clients, log stream) injectable for
tests. ``python -m handler`` runs one collection locally: exit status 0 on
success, 1 when the run failed, 2 when it could not start (``--help``: usage).
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from typing import Any

from datalogger.cli import (
    EXIT_OK,
    EXIT_RUN_FAILED,
    EXIT_SETUP_ERROR,
    invoked_locally,
    parse_command_line,
    short_cause,
)
from datalogger.config import load_config
from datalogger.errors import ConfigError, RunFailed, WriteError
from datalogger.logs import close_logging, configure_logging, redact, set_invocation_keys
from datalogger.run import Services, bootstrap_log_level, execute, start_logging
from github_client.errors import AppAuthError, AppNotInstalledError, PrivateKeyError

__all__ = ["ConfigError", "RunFailed", "Services", "handler", "main", "run"]

logger = logging.getLogger("handler")

# Errors that stop a run before any collection: one clear message, no outputs.
SETUP_ERRORS = (ConfigError, PrivateKeyError, AppAuthError, AppNotInstalledError)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: run once with the process environment.

    Under ``serverless invoke local`` a failure ends the process with one line
    naming the cause (exit status 1) instead of a traceback.
    """
    try:
        return run(event, context, Services(env=os.environ))
    except Exception as err:
        if invoked_locally(context):
            raise SystemExit(short_cause(err)) from None
        raise


def run(event: Any, context: Any, services: Services) -> dict[str, Any]:
    """One collection run. Returns the run summary; raises RunFailed after writing."""
    set_invocation_keys(run_id=getattr(context, "aws_request_id", None) or uuid.uuid4().hex)
    configure_logging(bootstrap_log_level(services.env), stream=services.log_stream)
    try:
        config = load_config(event, services.env)
        start_logging(config, services)
        return execute(config, context, services)
    except SETUP_ERRORS as err:
        fields = {"error_type": type(err).__name__, "error": redact(str(err))}
        logger.error("run stopped before collecting", extra=fields)
        raise
    except (RunFailed, WriteError):
        raise  # already logged with their reasons
    except Exception:
        logger.exception("run crashed")  # a bug: one JSON line with the traceback
        raise
    finally:
        close_logging()


def main(argv: list[str] | None = None) -> int:
    """``python -m handler``: one local run; 0 ok, 1 run failed, 2 could not start.

    Every outcome is logged by :func:`run`; a failure adds its cause as the last
    line on standard error. ``--help`` prints the usage.
    """
    parse_command_line(argv)
    try:
        handler({}, None)
    except Exception as err:  # noqa: BLE001 - the process boundary: the exit status is the report
        sys.stderr.write(short_cause(err) + "\n")
        return EXIT_SETUP_ERROR if isinstance(err, SETUP_ERRORS) else EXIT_RUN_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
