"""Shared test fixtures: a real keyring in a private D-Bus session, Debian's Chromium, the mock of Meta, the CLI.

Nothing here is skipped when a part is missing: a missing part fails the run with the command that installs it
(`make test` does all of it).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "cli"]


def _require(tool: str, package: str) -> str:
    found = shutil.which(tool)
    if not found:
        pytest.fail(f"{tool} is not installed: run `make test` (it installs {package}), or apt-get install {package}")
    return found


# -- a real keyring: gnome-keyring's Secret Service in a private D-Bus session ------------------------------------


@dataclass
class KeyringSession:
    env: dict[str, str]  # what a child process needs to reach this keyring


@pytest.fixture(scope="session")
def keyring_session(tmp_path_factory) -> KeyringSession:
    dbus_daemon = _require("dbus-daemon", "dbus")
    gnome_keyring = _require("gnome-keyring-daemon", "gnome-keyring")
    home = tmp_path_factory.mktemp("keyring-home")
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_RUNTIME_DIR": str(home / "run")}
    (home / "run").mkdir(mode=0o700)
    bus = subprocess.Popen([dbus_daemon, "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, env=env, text=True)
    address = bus.stdout.readline().strip()
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    daemon = subprocess.Popen([gnome_keyring, "--foreground", "--unlock", "--components=secrets"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    daemon.stdin.write(secrets.token_hex(16).encode())
    daemon.stdin.close()
    previous = {key: os.environ.get(key) for key in ("DBUS_SESSION_BUS_ADDRESS", "XDG_DATA_HOME")}
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    os.environ["XDG_DATA_HOME"] = env["XDG_DATA_HOME"]
    _wait_for_secret_service()
    yield KeyringSession(env={"DBUS_SESSION_BUS_ADDRESS": address, "XDG_DATA_HOME": env["XDG_DATA_HOME"]})
    daemon.terminate()
    bus.terminate()
    daemon.wait(10)
    bus.wait(10)
    for key, value in previous.items():
        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def _wait_for_secret_service() -> None:
    import keyring.core
    from keyring.backends import SecretService

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        backend = SecretService.Keyring()
        try:
            backend.get_preferred_collection()
            keyring.core.init_backend()
            return
        except Exception:  # noqa: BLE001 - the daemon is still starting
            time.sleep(0.2)
    pytest.fail("gnome-keyring did not start its Secret Service on the private D-Bus session")


# -- Chromium -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    from automation.browser import find_chromium
    from automation.errors import BrowserNotFound

    try:
        return find_chromium()
    except BrowserNotFound as error:
        pytest.fail(f"{error}\n(`make test` installs Debian's chromium)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    # pytest-playwright has no option for the binary; keep its dict so --headed and --slowmo still work.
    return {**browser_type_launch_args, "executable_path": chromium_path}


# -- the mock of Meta -----------------------------------------------------------------------------------------------


class Mock:
    def __init__(self, url: str, state: Path):
        self.url = url
        self.state = state

    def _lines(self, name: str) -> list[dict]:
        path = self.state / name
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def submissions(self) -> list[dict]:
        return self._lines("submissions.jsonl")

    def events(self, kind: str | None = None) -> list[dict]:
        return [event for event in self._lines("events.jsonl") if kind is None or event["event"] == kind]

    def requests(self) -> list[dict]:
        return self._lines("requests.jsonl")

    def maildir(self, address: str) -> Path:
        return self.state / "mail" / address


@pytest.fixture
def start_mock(tmp_path):
    from fixtures.mock_meta import MockMeta

    started = []

    def start(accounts_toml: str, name: str = "mock") -> Mock:
        state = tmp_path / name
        state.mkdir()
        accounts = tmp_path / f"{name}-accounts.toml"
        accounts.write_text(accounts_toml)
        server = MockMeta(accounts, state)
        url = server.start()
        started.append(server)
        return Mock(url, state)

    yield start
    for server in started:
        server.stop()


# -- the CLI in a subprocess ----------------------------------------------------------------------------------------


@dataclass
class Cli:
    env: dict[str, str]
    home: Path

    def __call__(self, *args: str, input: str | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
        return subprocess.run([*CLI, *args], input=input, capture_output=True, text=True, env=self.env, cwd=ROOT,
                              timeout=timeout)


@pytest.fixture
def cli(tmp_path, keyring_session, chromium_path) -> Cli:
    """The real CLI, with its own HOME and keyring service, the real keyring, and Debian's Chromium."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".state"),
        "LANG": "C.UTF-8",
        "SUBMIT_OBJECTIONS_KEYRING_SERVICE": f"submit-objections-test-{secrets.token_hex(4)}",
        "SUBMIT_OBJECTIONS_CHROMIUM": chromium_path,
        "PYTHONPATH": str(ROOT),
        **keyring_session.env,
    }
    return Cli(env=env, home=home)
