"""The many-organisations run on the local machine: no GitHub App, no AWS account.

    make fan-out                                  # or: python scripts/fan_out.py
    python scripts/fan_out.py --dependabot-off globex   # one organisation fails

1. starts the fake GitHub in this process, serving one App installed on three
   organisations (acme, globex, initech) and on one user account;
2. runs ``organisations_handler.fan_out``: the state machine's three steps
   (list the installations, run the data logger once per organisation with
   ``{"org", "output_prefix"}``, roll up ``organisations.json``) in this
   process, one organisation after another. It follows the state machine's
   steps; it is not Step Functions (no Map concurrency, no retries);
3. prints ``organisations.json`` in short. Files land in output/organisations/.

Exit status 0 when every organisation succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as `python scripts/fan_out.py`
    sys.path.insert(0, str(REPO_ROOT))

import organisations_handler  # noqa: E402
from tests.fake_github.app import FakeGitHubApp, fan_out_organisations  # noqa: E402

DEFAULT_OUTPUT_DIR = REPO_ROOT / "output" / "organisations"
USER_ACCOUNT = "octo-person"


def summarise(output_dir: Path) -> str:
    document = json.loads((output_dir / "organisations.json").read_text(encoding="utf-8"))
    lines = [f"organisations.json ({document['generated_at']}):"]
    for entry in document["organisations"]:
        records = entry["records"]
        counts = ", ".join(f"{name} {records[name]}" for name in records)
        lines.append(f"  {entry['org']:<10} {entry['status']:<9} {entry['prefix']:<16} {counts}")
        if entry["error"]:
            lines.append(f"             {entry['error'][:160]}")
    lines.append(f"Files under {output_dir}/ (each organisation under orgs/<login>/).")
    return "\n".join(lines)


def run(output_dir: Path, dependabot_off: str | None) -> int:
    shutil.rmtree(output_dir / "orgs", ignore_errors=True)
    (output_dir / "organisations.json").unlink(missing_ok=True)
    fake = FakeGitHubApp(fan_out_organisations(dependabot_off), users=(USER_ACCOUNT,))
    with fake, tempfile.TemporaryDirectory(prefix="fan-out-") as scratch:
        key_file = Path(scratch) / "app-key.pem"
        key_file.write_text(fake.private_key_pem, encoding="utf-8")
        key_file.chmod(0o600)
        env = {
            "GITHUB_ORGS": "*",
            "GITHUB_APP_CLIENT_ID": fake.client_id,
            "GITHUB_APP_PRIVATE_KEY_FILE": str(key_file),
            "GITHUB_API_URL": fake.url,
            "WRITE_TO_S3": "false",
            "OUTPUT_DIR": str(output_dir),
        }
        log_path = output_dir / "fan_out.log"
        output_dir.mkdir(parents=True, exist_ok=True)
        with log_path.open("w", encoding="utf-8") as log:
            services = organisations_handler.Services(env=env, log_stream=log)
            try:
                organisations_handler.fan_out(services)
                status = 0
            except organisations_handler.OrganisationsFailed:
                status = 1
        contracts = [fake.contract, *(org_fake.contract for org_fake in fake.fakes.values())]
        violations = [violation for contract in contracts for violation in contract.violations]
    print(summarise(output_dir))
    print(f"Log: {log_path}")
    if violations:  # the fake checks every REST call against GitHub's REST description
        print("The fake GitHub saw calls its REST description does not allow:")
        print("\n".join(f"  {violation}" for violation in violations))
        return 1
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument(
        "--dependabot-off",
        metavar="LOGIN",
        help="turn Dependabot alerts off in this organisation (acme, globex or initech)",
    )
    args = parser.parse_args(argv)
    return run(args.output_dir.resolve(), args.dependabot_off)


if __name__ == "__main__":
    sys.exit(main())
