"""Builds matching accounts for the mock of Meta and for the tool, stores their secrets, reads the archive back."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# The smallest valid accounts file: one Facebook account, for tests that need an account but no site.
ANNA_ACCOUNT = """\
[[accounts]]
name = "anna"
platform = "facebook"
login = "anna@example.org"
email = "anna@example.org"
country = "DE"
"""


@dataclass
class Person:
    """One account as both sides see it: the mock's record and the tool's accounts-file entry."""

    name: str
    region: str = "DE"
    form_variant: str = "2024"
    totp: bool = False
    twofa_route: str = "app"
    reject_first_codes: int = 0
    already_objected: bool = False
    checkpoint: str = ""
    platform: str = "facebook"
    language: str = "en"  # what the mock shows after login, and the accounts file's `language`
    declare_language: bool = True  # False: the accounts file leaves `language` out (the country's language applies)
    form_asks_country: bool = False  # the 2025 form also asks the country
    email_prefill: str = "account"  # what the form's email field holds: account | other | empty
    drift: str = ""  # the mock's changed form: reworded | reordered | extra_required
    store_password: bool = True
    stored_password: str | None = None  # what the tool's keyring holds, when it differs from the real password
    maildir: bool = True
    linked_to: str | None = None  # the name of a linked account in Accounts Center
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def login(self) -> str:
        return f"{self.name}@example.org"

    @property
    def password(self) -> str:
        return f"pw-{self.name}-Zq9!"

    def mock_entry(self) -> str:
        lines = [
            "[[account]]",
            f'login = "{self.login}"',
            f'password = "{self.password}"',
            f'email = "{self.login}"',
            f'name = "{self.name.title()} Example"',
            f'region = "{self.region}"',
            f'form_variant = "{self.form_variant}"',
            f"reject_first_codes = {self.reject_first_codes}",
            f"already_objected = {str(self.already_objected).lower()}",
            f'checkpoint = "{self.checkpoint}"',
            f'service = "{self.platform}"',
            f'language = "{self.language}"',
            f'email_prefill = "{self.email_prefill}"',
            f'drift = "{self.drift}"',
        ]
        if self.form_asks_country:
            lines.append("form_asks_country = true")
        if self.platform == "facebook":
            lines.append(f'twofa_route = "{self.twofa_route}"')
        if self.linked_to:
            lines.append(f'linked_to = "{self.linked_to}@example.org"')
        if self.totp:
            lines.append(f'totp_secret = "{TOTP_SECRET}"')
        return "\n".join(lines) + "\n"

    def tool_entry(self, mock_state: Path) -> str:
        lines = [
            "[[accounts]]",
            f'name = "{self.name}"',
            f'platform = "{self.platform}"',
            f'login = "{self.login}"',
            f'email = "{self.login}"',
            f'country = "{self.region}"',
            f'full_name = "{self.name.title()} Example"',
        ]
        if self.declare_language:
            lines.append(f'language = "{self.language}"')
        if self.maildir:
            lines.append(f'maildir = "{mock_state / "mail" / self.login}"')
        lines += [f'{key} = "{value}"' for key, value in self.extra.items()]
        return "\n".join(lines) + "\n"


def mock_accounts(people: list[Person], **site) -> str:
    """The mock's accounts file; `site` sets its [site] switches (login_control, privacy_center, ...)."""
    values = {"login_control": "button", "cookie_dialog": True, **site}
    lines = ["[site]"] + [f"{key} = {str(value).lower() if isinstance(value, bool) else repr(value)}"
                          .replace("'", '"') for key, value in values.items()]
    return "\n".join(lines) + "\n\n" + "\n".join(person.mock_entry() for person in people)


def write_tool_accounts(path: Path, people: list[Person], mock_state: Path) -> Path:
    path.write_text("\n".join(person.tool_entry(mock_state) for person in people))
    return path


def store_secrets(cli, config: Path, people: list[Person]) -> None:
    """Writes each person's secrets straight into the real keyring the CLI reads, under the CLI's own service name.

    In-process, as `credentials set` would store them: that command has its own tests (test_keyring_real.py), and
    a subprocess per person made every end-to-end world a second slower to build."""
    from automation.credentials import Keyring

    service = cli.env["SUBMIT_OBJECTIONS_KEYRING_SERVICE"]
    previous = os.environ.get("SUBMIT_OBJECTIONS_KEYRING_SERVICE")
    os.environ["SUBMIT_OBJECTIONS_KEYRING_SERVICE"] = service
    try:
        store = Keyring.open()
        for person in people:
            if not person.store_password:
                continue
            store.set(person.name, "password", person.stored_password or person.password)
            if person.totp:
                store.set(person.name, "totp", TOTP_SECRET)
    finally:
        if previous is None:
            del os.environ["SUBMIT_OBJECTIONS_KEYRING_SERVICE"]
        else:
            os.environ["SUBMIT_OBJECTIONS_KEYRING_SERVICE"] = previous


def receipts(archive: Path, name: str) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((archive / name).glob("*/receipt.json"))]


def table_row(stdout: str, name: str) -> list[str]:
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no table row for {name} in:\n{stdout}")


class World:
    """One end-to-end world: the mock with its people, the tool's accounts file, their secrets in the real keyring."""

    def __init__(self, cli, mock, config: Path, archive: Path):
        self.cli = cli
        self.mock = mock
        self.config = config
        self.archive = archive

    def args(self, *extra: str) -> list[str]:
        return ["--config", str(self.config), "--mirror", self.mock.url, "--archive", str(self.archive), *extra]

    def run(self, *extra: str, timeout: float = 240):
        return self.cli(*self.args(*extra), timeout=timeout)

    def verify(self, *extra: str):
        return self.cli("--archive", str(self.archive), "archive", "verify", *extra)

    def receipts(self, name: str) -> list[dict]:
        return receipts(self.archive, name)

    def copy_to(self, cli, folder: Path) -> "World":
        """This world's archive and ledger copied for `cli` (a test's own CLI, with its own home): for a test that
        changes what a shared world left, without changing it for the other tests."""
        import shutil
        import sqlite3

        shutil.copytree(self.archive, folder / "archive")
        shutil.copytree(Path(self.cli.env["XDG_DATA_HOME"]), Path(cli.env["XDG_DATA_HOME"]), dirs_exist_ok=True)
        # The ledger names each request's evidence folder by its full path: point the copy at the copied folders.
        with sqlite3.connect(Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3") as ledger:
            for table in ("accounts", "history"):
                ledger.execute(f"UPDATE {table} SET evidence = replace(evidence, ?, ?)",
                               (str(self.archive), str(folder / "archive")))
        return World(cli, self.mock, self.config, folder / "archive")

    def ledger(self) -> dict[str, str]:
        import sqlite3

        path = Path(self.cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"
        with sqlite3.connect(path) as connection:
            return dict(connection.execute("SELECT account, status FROM accounts"))


def build_world(cli, start_mock, folder: Path, people: list[Person], **site) -> World:
    folder.mkdir(parents=True, exist_ok=True)
    mock = start_mock(mock_accounts(people, **site))
    config = write_tool_accounts(folder / "accounts.toml", people, mock.state)
    store_secrets(cli, config, people)
    return World(cli, mock, config, folder / "archive")


def shared_world(tmp_path_factory, keyring_session, chromium_path, name: str, people: list[Person],
                 runs: list[tuple[str, ...]], mock_text: str | None = None, **site):
    """One world and its CLI runs, built once for the whole session (by whichever xdist worker gets there first) and
    read by every test of a module: (world, [each run's CompletedProcess]). Its mock has stopped by then: the tests
    read what it recorded (`world.mock` is a MockRecords). `mock_text` replaces the mock's accounts file, for
    switches Person has no field for. The secrets are in the building worker's keyring only: a test that runs the
    CLI again on this world must not need them."""
    from conftest import make_cli
    from mock_support import MockRecords, RunningMock
    from promises_support import as_finished, finished, once

    def build(folder: Path) -> dict:
        cli = make_cli(folder / "home", keyring_session, chromium_path)
        (folder / "mock").mkdir()
        (folder / "mock-accounts.toml").write_text(mock_text or mock_accounts(people, **site))
        mock = RunningMock(folder / "mock-accounts.toml", folder / "mock")
        try:
            config = write_tool_accounts(folder / "accounts.toml", people, mock.state)
            store_secrets(cli, config, people)
            world = World(cli, mock, config, folder / "archive")
            return {"runs": [finished(world.run(*args, timeout=400)) for args in runs]}
        finally:
            mock.stop()

    folder, kept = once(tmp_path_factory, name, build)
    world = World(make_cli(folder / "home", keyring_session, chromium_path), MockRecords(folder / "mock"),
                  folder / "accounts.toml", folder / "archive")
    return world, [as_finished(run) for run in kept["runs"]]


def owner_solves_in_the_window(cli, args: list[str], mock_url: str, screen: str,
                               before_solving=lambda: None) -> tuple[int, str, str]:
    """A headed run on `screen` that stops at a security check: once the tool says to solve it in the window,
    `before_solving()` runs, the owner answers Meta's check (the mock's hook stands for their phone or their typing)
    and reloads the page in that window. (exit code, stdout, stderr) of the run."""
    import subprocess
    import threading
    import urllib.request

    from conftest import CLI, ROOT

    process = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**cli.env, "DISPLAY": screen}, cwd=ROOT)
    told, errors = threading.Event(), []

    def read_stderr():
        for line in process.stderr:
            errors.append(line)
            if "Solve it in the browser window" in line:
                told.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    assert told.wait(90), "".join(errors)
    before_solving()
    urllib.request.urlopen(urllib.request.Request(f"{mock_url}/__mock__/solve-checkpoints", method="POST")).read()
    subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--class", "chromium", "windowfocus", "--sync",
                    "key", "F5"], env={**os.environ, "DISPLAY": screen}, check=True, timeout=30)
    stdout, _ = process.communicate(timeout=120)
    return process.returncode, stdout, "".join(errors)
