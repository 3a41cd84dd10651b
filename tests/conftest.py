"""Shared test fixtures: a real keyring in a private D-Bus session, Debian's Chromium, the mock of Meta, the CLI.

Nothing here is skipped when a part is missing: a missing part fails the run with the command that installs it
(`make test` does all of it).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "cli"]


def pytest_collection_modifyitems(items):
    """The longest tests first, then the other end-to-end ones: xdist deals tests out in this order, two at a time
    (--maxschedchunk=2 in pyproject.toml; its default hands a worker a quarter of its share at once, which put every
    long test on one worker), so no worker is left alone with a long test at the end. The sort is stable and the
    same in every worker, as xdist requires."""
    def weight(item) -> int:
        return 0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("e2e") else 2

    items.sort(key=weight)


CPU_REPORT = os.environ.get("SUBMIT_OBJECTIONS_TEST_CPU")  # a file: each test's CPU seconds (own and children's)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """With SUBMIT_OBJECTIONS_TEST_CPU set, appends each test's wall and CPU time (this process and every process it
    started and waited for: the CLI, its Playwright driver and Chromium) to that file: where the suite's time goes."""
    if not CPU_REPORT:
        yield
        return
    import resource
    import time

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    wall, used = time.monotonic(), cpu()
    yield
    with open(CPU_REPORT, "a") as report:
        report.write(f"{cpu() - used:.2f}\t{time.monotonic() - wall:.2f}\t{item.nodeid}\n")


# -- a real keyring: gnome-keyring's Secret Service in a private D-Bus session ------------------------------------


@pytest.fixture(scope="session")
def keyring_session(tmp_path_factory) -> dict[str, str]:
    """Variables that point a process at a real, private Secret Service keyring; this process uses it too."""
    from fixtures.private_keyring import PrivateKeyring, missing_tools

    if missing_tools():
        pytest.fail("missing " + ", ".join(missing_tools()) + ": run `make test`, which installs them")
    private = PrivateKeyring(tmp_path_factory.mktemp("keyring-home"))
    env = private.start()
    previous = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    import keyring.core

    keyring.core.init_backend()
    yield env
    private.stop()
    for key, value in previous.items():
        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


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
    # pytest-playwright has no option for the binary; keep its dict so --headed and --slowmo still work. Headless,
    # the light headless shell beside it when there is one, as the tool itself runs (automation.browser).
    from automation.browser import headless_twin

    headless = browser_type_launch_args.get("headless", True)
    return {**browser_type_launch_args, "executable_path": headless_twin(chromium_path) if headless else chromium_path}


# -- the mock of Meta -----------------------------------------------------------------------------------------------


@pytest.fixture
def start_mock(tmp_path):
    from mock_support import RunningMock

    started: list[RunningMock] = []

    def start(accounts_toml: str, name: str | None = None, **options) -> RunningMock:
        name = name or ("mock" if not started else f"mock-{len(started) + 1}")
        state = tmp_path / name
        state.mkdir()
        accounts = tmp_path / f"{name}-accounts.toml"
        accounts.write_text(accounts_toml)
        started.append(RunningMock(accounts, state, **options))
        return started[-1]

    yield start
    for mock in started:
        mock.stop()


@pytest.fixture
def world(cli, start_mock, tmp_path):
    """Builds end-to-end worlds: `world(people, **site)`; each call gets its own folder and mock."""
    from e2e_support import build_world

    count = iter(range(1, 1000))

    def build(people, **site):
        return build_world(cli, start_mock, tmp_path / f"world-{next(count)}", people, **site)

    return build


# -- a screen for a visible browser ----------------------------------------------------------------------------


@pytest.fixture
def screen():
    """A virtual X screen, for a visible browser on a machine without one (xdotool: to press keys in it)."""
    for tool in ("Xvfb", "xdotool"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: run `make test`, which installs xvfb and xdotool")
    # Xvfb picks a free display itself and writes its number to the pipe once it is ready (tests run in parallel).
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,))
    os.close(write_end)
    with os.fdopen(read_end) as ready:
        display = ":" + ready.readline().strip()
    assert display != ":", "Xvfb did not start"
    yield display
    server.terminate()
    server.wait(10)


# -- a real IMAP server --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot():
    """Dovecot on loopback, with mailboxes the tests add to (users: address -> password)."""
    from fixtures.dovecot import Dovecot, missing_tools

    if missing_tools():
        pytest.fail("missing " + ", ".join(missing_tools()) + ": run `make test`, which installs it")
    server = Dovecot({"anna@example.org": "box-pw-anna", "family@example.org": "box-pw-family"})
    server.start()
    yield server
    server.close()


# -- the CLI in a subprocess ----------------------------------------------------------------------------------------


@dataclass
class Cli:
    env: dict[str, str]
    home: Path

    def __call__(self, *args: str, input: str | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
        return subprocess.run([*CLI, *args], input=input, capture_output=True, text=True, env=self.env, cwd=ROOT,
                              timeout=timeout)


def make_cli(home: Path, keyring_session: dict[str, str], chromium_path: str) -> Cli:
    """The real CLI with its own HOME, ledger and keyring service, the real keyring, and Debian's Chromium."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".state"),
        "LANG": "C.UTF-8",
        "SUBMIT_OBJECTIONS_KEYRING_SERVICE": f"submit-objections-test-{secrets.token_hex(4)}",
        "SUBMIT_OBJECTIONS_CHROMIUM": chromium_path,
        "SUBMIT_OBJECTIONS_PAUSE": "0",
        "PYTHONPATH": str(ROOT),
        **keyring_session,
        "XDG_DATA_HOME": str(home / ".local" / "share"),  # this test's own ledger; the keyring has its own folder
    }
    return Cli(env=env, home=home)


@pytest.fixture
def cli(tmp_path, keyring_session, chromium_path) -> Cli:
    """The real CLI, with its own HOME and keyring service, the real keyring, and Debian's Chromium."""
    return make_cli(tmp_path / "home", keyring_session, chromium_path)
