"""AWS Lambda entry point of the GitHub policy data logger: wiring only.

config -> logging -> :func:`datalogger.run.execute` (private key, GitHub App
client, permission preflight, inventory, collections, datasets, run summary).

``handler(event, context)`` is what Lambda calls; :func:`run` is the same with
its dependencies (environment, clock, AWS clients, log stream) injectable for
tests. ``python -m handler`` runs one collection locally: exit status 0 on
success, 1 when the run failed, 2 on a configuration error.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from datalogger.config import LOG_LEVELS, RunConfig, load_config
from datalogger.errors import ConfigError, RunFailed, WriteError
from datalogger.logs import (
    append_invocation_keys,
    close_logging,
    configure_logging,
    redact,
    set_invocation_keys,
)
from datalogger.run import Services, execute
from github_client.errors import AppAuthError, AppNotInstalledError, PrivateKeyError

__all__ = ["ConfigError", "RunFailed", "Services", "handler", "main", "run"]

logger = logging.getLogger("handler")

# Errors that stop a run before any collection: one clear message, no outputs.
SETUP_ERRORS = (ConfigError, PrivateKeyError, AppAuthError, AppNotInstalledError)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: run once with the process environment."""
    return run(event, context, Services(env=os.environ))


def run(event: Any, context: Any, services: Services) -> dict[str, Any]:
    """One collection run. Returns the run summary; raises RunFailed after writing."""
    set_invocation_keys(run_id=getattr(context, "aws_request_id", None) or uuid.uuid4().hex)
    configure_logging(_bootstrap_log_level(services.env), stream=services.log_stream)
    try:
        config = load_config(event, services.env)
        _start_logging(config, services)
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


def main() -> int:
    """``python -m handler``: one local run; 0 ok, 1 run failed, 2 configuration error.

    Every outcome is already logged by :func:`run`; nothing else is printed.
    """
    try:
        handler({}, None)
    except ConfigError:
        return 2
    except Exception:  # noqa: BLE001 - the process boundary: the exit status is the report
        return 1
    return 0


def _bootstrap_log_level(env: Mapping[str, str]) -> str:
    """LOG_LEVEL if valid, else INFO (load_config reports an invalid one)."""
    level = env.get("LOG_LEVEL", "").strip().upper()
    return level if level in LOG_LEVELS else "INFO"


def _start_logging(config: RunConfig, services: Services) -> None:
    local_dir = config.local_dir if config.show_log_locally else None
    configure_logging(config.log_level, local_dir=local_dir, stream=services.log_stream)
    append_invocation_keys(org=config.org)
    if config.ignored_event_keys:
        logger.info("event keys ignored", extra={"keys": list(config.ignored_event_keys)})
    logger.info(
        "run started",
        extra={
            "collections": list(config.collections),
            "write_to_s3": config.write_to_s3,
            "thread_count": config.thread_count,
            "key_source": config.key_source,
            "output_prefix": config.output_prefix,
        },
    )
    destination = f"s3://{config.s3_bucket}" if config.write_to_s3 else str(config.output_dir)
    logger.debug(
        "configuration loaded",
        extra={
            "config_path": str(config.config_path),
            "api_url": config.api_url,
            "destination": destination,
            "dependabot_thresholds": dict(config.dependabot_thresholds),
            "secret_scanning_threshold": config.secret_scanning_threshold,
            "inactivity_threshold": config.inactivity_threshold,
            "signed_commit_number": config.signed_commit_number,
        },
    )


if __name__ == "__main__":
    sys.exit(main())
