"""Lambda entry points for many organisations, and the local fan-out: wiring only.

With the ``orgs`` deployment parameter, AWS Step Functions runs three steps
(``serverless.yml``, ``docs/organisations.md``):

- ``list_organisations``: which organisations to audit -> ``{"organisations":
  [{"org", "output_prefix"}...], "not_installed": [...]}``;
- the data logger (``handler.handler``) once per item, in a ``Map`` state;
- ``roll_up``: ``organisations.json`` from each ``orgs/<login>/run_summary.json``.

:func:`fan_out` runs the same three steps in this process, one organisation
after another, with the same event shapes: for the demo and the tests. It
follows the state machine's steps; it is not Step Functions.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import handler
from datalogger.config import load_app_settings
from datalogger.errors import ConfigError, DataLoggerError
from datalogger.keys import load_private_key
from datalogger.logs import close_logging, configure_logging, redact, set_invocation_keys
from datalogger.org_store import SummaryStore, store_for
from datalogger.organisations import (
    ORGANISATIONS_FILE,
    OrgRun,
    failed_organisations,
    is_fresh,
    iso_z,
    list_installations,
    parse_iso,
    parse_orgs,
    rollup,
    select_organisations,
)
from datalogger.writers import SUMMARY_FILE, json_bytes
from github_client import SYSTEM_CLOCK, Clock, GitHubClient

logger = logging.getLogger("organisations")


class OrganisationsFailed(DataLoggerError):  # noqa: N818 - names the outcome, like RunFailed
    """At least one organisation's run did not succeed; ``organisations.json`` says which."""

    def __init__(self, failed: list[str], document: dict[str, Any]) -> None:
        self.failed = list(failed)
        self.document = document
        super().__init__(
            f"{len(self.failed)} organisation(s) did not succeed ({', '.join(self.failed)}); "
            f"see {ORGANISATIONS_FILE} and each orgs/<login>/{SUMMARY_FILE}."
        )


@dataclass(frozen=True)
class Services:
    """What the steps talk to, injectable for tests (as ``handler.Services``)."""

    env: Mapping[str, str]
    clock: Clock = SYSTEM_CLOCK
    s3_client: Any = None
    secrets_client: Any = None
    log_stream: TextIO | None = None


# --------------------------------------------------------------------------- Lambda


def list_organisations(event: Any, context: Any) -> dict[str, Any]:
    """Step 1 (Lambda): the organisations the ``Map`` state runs the data logger on."""
    return list_step(Services(env=os.environ))


def roll_up(event: Any, context: Any) -> dict[str, Any]:
    """Step 3 (Lambda): write ``organisations.json``; ``failed`` lists what did not succeed."""
    return roll_up_step(event, Services(env=os.environ))


# --------------------------------------------------------------------------- the steps


def list_step(services: Services) -> dict[str, Any]:
    _start_logging(services)
    try:
        wanted = parse_orgs(services.env.get("GITHUB_ORGS") or "")
        settings = load_app_settings(services.env)
        configure_logging(settings.log_level, stream=services.log_stream)
        client = GitHubClient(
            org="",  # the App itself: no organisation until the list is read
            app_id=settings.app_client_id,
            private_key_pem=load_private_key(services.env, services.secrets_client),
            api_url=settings.api_url,
            clock=services.clock,
        )
        try:
            installations = list_installations(client)
        finally:
            client.close()
        selection = select_organisations(installations, wanted)
        logger.info(
            "organisations listed",
            extra={
                "installations": len(installations),
                "organisations": list(selection.organisations),
                "not_installed": list(selection.not_installed),
            },
        )
        return selection.as_event()
    except Exception as err:
        logger.error("organisations not listed", extra=_error_fields(err))
        raise
    finally:
        close_logging()


def roll_up_step(event: Any, services: Services) -> dict[str, Any]:
    _start_logging(services)
    try:
        if not isinstance(event, Mapping):
            raise ConfigError("Invalid roll-up event: must be a JSON object with 'runs'.")
        started = parse_iso(event.get("execution_started_at"))
        store = store_for(services.env, services.s3_client)
        runs = [_org_run(item, store, started) for item in event.get("runs") or []]
        now = datetime.fromtimestamp(services.clock.time(), UTC)
        document = rollup(runs, list(event.get("not_installed") or []), now)
        written = store.write(ORGANISATIONS_FILE, json_bytes(document))
        failed = failed_organisations(document)
        logger.info(
            "organisations rolled up",
            extra={"organisations": len(runs), "failed": failed, "written": written},
        )
        return {"organisations": len(document["organisations"]), "failed": failed}
    except Exception as err:
        logger.error("organisations not rolled up", extra=_error_fields(err))
        raise
    finally:
        close_logging()


def _org_run(item: Any, store: SummaryStore, started: datetime | None) -> OrgRun:
    """One ``Map`` result: its organisation's fresh summary, or why there is none."""
    login, prefix = str(item["org"]), str(item["output_prefix"])
    error = _failure_text(item.get("failure"))
    data = store.read(f"{prefix}{SUMMARY_FILE}")
    summary: Mapping[str, Any] | None = None
    if data is not None:
        try:
            loaded = json.loads(data)
        except ValueError:
            loaded = None
        if isinstance(loaded, Mapping) and is_fresh(loaded, started):
            summary = loaded
    if summary is None and error is None:
        error = f"no {SUMMARY_FILE} from this run under {prefix}"
    return OrgRun(org=login, summary=summary, error=error)


def _failure_text(failure: object) -> str | None:
    """What a caught failure says: Step Functions' ``{"Error", "Cause"}``, Cause often JSON."""
    if not isinstance(failure, Mapping):
        return None
    error, cause = str(failure.get("Error") or "failed"), failure.get("Cause")
    message = cause if isinstance(cause, str) else ""
    try:
        parsed = json.loads(message) if message.startswith("{") else None
    except ValueError:
        parsed = None
    if isinstance(parsed, Mapping):
        message = str(parsed.get("errorMessage") or "")
        error = str(parsed.get("errorType") or error)
    return redact(f"{error}: {message}" if message else error)


# --------------------------------------------------------------------------- local fan-out


def fan_out(services: Services) -> dict[str, Any]:
    """List, run each organisation, roll up: the state machine's steps, in this process.

    Not Step Functions: organisations run one after another (a run's logging is
    process-wide), with no retries. Raises :class:`OrganisationsFailed` after
    writing ``organisations.json`` when any organisation did not succeed, as
    the execution fails.
    """
    execution_started_at = iso_z(datetime.fromtimestamp(services.clock.time(), UTC))
    listed = list_step(services)
    runs: list[dict[str, Any]] = []
    for item in listed["organisations"]:
        run_services = handler.Services(
            env=services.env,
            clock=services.clock,
            s3_client=services.s3_client,
            secrets_client=services.secrets_client,
            log_stream=services.log_stream,
        )
        try:
            summary = handler.run(dict(item), None, run_services)
            runs.append({**item, "outcome": {"status": summary["status"]}})
        except Exception as err:  # noqa: BLE001 - the Map state's per-item Catch (States.ALL)
            runs.append({**item, "failure": {"Error": type(err).__name__, "Cause": str(err)}})
    event = {
        "runs": runs,
        "not_installed": listed["not_installed"],
        "execution_started_at": execution_started_at,
    }
    result = roll_up_step(event, services)
    if result["failed"]:
        store = store_for(services.env, services.s3_client)
        document = json.loads(store.read(ORGANISATIONS_FILE) or b"{}")
        raise OrganisationsFailed(result["failed"], document)
    return result


def _start_logging(services: Services) -> None:
    set_invocation_keys(run_id=uuid.uuid4().hex)
    configure_logging("INFO", stream=services.log_stream)


def _error_fields(error: BaseException) -> dict[str, str]:
    return {"error_type": type(error).__name__, "error": redact(str(error))}
