"""`make demo`: the main job, on the bundled mock of Meta, for the demo's accounts; nothing leaves this machine.

It starts the mock on loopback, stores the demo accounts' passwords and 2FA key in a throwaway keyring (gnome-keyring
in a private D-Bus session; where that is missing, your own keyring under a demo service name, removed afterwards),
runs `submit-objections` against the mock, and checks that each account ended as the demo intends.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.mock_meta import MockMeta  # noqa: E402
from fixtures.private_keyring import PrivateKeyring, missing_tools  # noqa: E402

DEMO = ROOT / ".demo"
CONFIG = ROOT / "fixtures" / "demo" / "accounts.toml"
MOCK_ACCOUNTS = ROOT / "fixtures" / "demo" / "mock-accounts.toml"
SERVICE = "submit-objections-demo"
EXPECTED = {
    "anna-facebook": "confirmed",
    "ben-facebook": "confirmed",
    "carla-facebook": "needs_owner",
    "dario-facebook": "not_eligible",
    "erin-instagram": "confirmed",
    "ben-instagram": "already_objected",
}


def cli(*args: str, env: dict[str, str], input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "--config", str(CONFIG), *args], cwd=ROOT, env=env, text=True,
                          input=input, stdout=None if input is None else subprocess.PIPE)


def store_demo_secrets(env: dict[str, str]) -> None:
    mock = {entry["login"]: entry for entry in tomllib.loads(MOCK_ACCOUNTS.read_text())["account"]}
    tool = tomllib.loads(CONFIG.read_text())["accounts"]
    for account in tool:
        secrets = mock[account["login"]]
        lines = secrets["password"] + "\n" + secrets.get("totp_secret", "") + "\n"
        done = cli("credentials", "set", account["name"], env=env, input=lines)
        if done.returncode != 0:
            sys.exit(f"demo: could not store the demo secrets for {account['name']}")


def outcomes(archive: Path) -> dict[str, str]:
    found = {}
    for name in EXPECTED:
        runs = sorted((archive / name).glob("*/receipt.json"))
        found[name] = json.loads(runs[-1].read_text())["outcome"] if runs else "no receipt"
    return found


def main() -> int:
    shutil.rmtree(DEMO / "mock", ignore_errors=True)
    (DEMO / "mock").mkdir(parents=True)
    archive = DEMO / "archive"
    shutil.rmtree(archive, ignore_errors=True)
    for leftover in ("ledger.sqlite3", "state"):  # each demo starts afresh, and never touches your own
        shutil.rmtree(DEMO / leftover, ignore_errors=True) if (DEMO / leftover).is_dir() else (DEMO / leftover).unlink(missing_ok=True)
    env = {**os.environ, "SUBMIT_OBJECTIONS_KEYRING_SERVICE": SERVICE,
           "SUBMIT_OBJECTIONS_LEDGER": str(DEMO / "ledger.sqlite3"), "SUBMIT_OBJECTIONS_STATE_DIR": str(DEMO / "state")}
    private = None
    if not missing_tools():
        private = PrivateKeyring(DEMO / "keyring-home")
        env.update(private.start())
    else:
        print("demo: no gnome-keyring/D-Bus here: using your own keyring under the service name", SERVICE)
    mock = MockMeta(MOCK_ACCOUNTS, DEMO / "mock")
    url = mock.start()
    print(f"demo: the mock of Meta listens on {url} (loopback only)\n")
    try:
        store_demo_secrets(env)
        run = cli("--mirror", url, "--archive", str(archive), "--pause", "1", env=env)
        seen = outcomes(archive)
        print(f"\ndemo: the mock recorded {len(mock_submissions(DEMO / 'mock'))} objection(s) filed; "
              f"evidence is in {archive}")
        cli("--archive", str(archive), "archive", "verify", env=env)
        cli("--archive", str(archive), "archive", "report", env=env)
    finally:
        mock.stop()
        if private is not None:
            private.stop()
        else:
            for name in EXPECTED:
                cli("credentials", "delete", name, env=env, input="")
    wrong = {name: (seen[name], want) for name, want in EXPECTED.items() if seen[name] != want}
    if wrong:
        for name, (got, want) in wrong.items():
            print(f"demo: {name} ended '{got}', the demo expects '{want}'", file=sys.stderr)
        return 1
    print(f"demo: every account ended as intended (the tool's own exit code was {run.returncode}: "
          "some demo accounts are built to need their owner or to be ineligible)")
    return 0


def mock_submissions(state: Path) -> list[dict]:
    path = state / "submissions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


if __name__ == "__main__":
    sys.exit(main())
