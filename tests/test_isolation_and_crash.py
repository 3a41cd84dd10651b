"""Accounts at once without crossing: what one account's browser context holds never shows in another's; the run's
one browser, when it crashes, takes only the accounts it was running with it, each tried once more in a fresh
browser and filed exactly once, while the accounts not started yet go on in that fresh one; and the commands that
need no browser never import Playwright (they answer at once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e_support import Person, mock_accounts, receipts, table_row, write_tool_accounts, store_secrets
from fixtures.processes import descendants

ROOT = Path(__file__).resolve().parent.parent

# -- isolation between the contexts of one browser -----------------------------------------------------------------

PROBE = """async () => ({
    cookie: document.cookie,
    stored: localStorage.getItem('probe'),
    session: sessionStorage.getItem('probe'),
    geolocation: (await navigator.permissions.query({name: 'geolocation'})).state,
})"""


def test_a_cookie_storage_and_a_permission_of_one_account_are_absent_in_the_next_accounts_context(
        start_mock, browser):
    """The contexts the tool makes (automation.browser.new_context), in one browser: pytest-playwright's, since a
    second sync Playwright cannot start in a worker whose first one (an earlier test's `page`) still runs."""
    from automation.browser import new_context
    from flows.meta_common import DOMAINS

    mock = start_mock(mock_accounts([Person("iso")]))
    home = "https://www.facebook.com/"
    first = new_context(browser, mock.url, domains=DOMAINS)
    page = first.new_page()
    page.goto(home, wait_until="domcontentloaded")
    page.evaluate("""() => { document.cookie = 'probe=first-account; path=/; max-age=3600';
                             localStorage.setItem('probe', 'first-account');
                             sessionStorage.setItem('probe', 'first-account'); }""")
    first.grant_permissions(["geolocation"], origin=home.rstrip("/"))
    seen_first = page.evaluate(PROBE)
    assert "probe=first-account" in seen_first["cookie"]  # the probe is really there to be leaked
    assert seen_first["stored"] == seen_first["session"] == "first-account"
    assert seen_first["geolocation"] == "granted"

    second = new_context(browser, mock.url, domains=DOMAINS)  # while the first account's is still open
    other = second.new_page()
    other.goto(home, wait_until="domcontentloaded")
    seen = other.evaluate(PROBE)
    assert "probe" not in seen["cookie"]
    assert not [cookie for cookie in second.cookies() if cookie["name"] == "probe"]
    assert seen["stored"] is None and seen["session"] is None
    assert seen["geolocation"] != "granted"
    first.close()

    third = new_context(browser, mock.url, domains=DOMAINS)  # and after it closed
    later = third.new_page()
    later.goto(home, wait_until="domcontentloaded")
    seen = later.evaluate(PROBE)
    assert "probe" not in seen["cookie"] and seen["stored"] is None and seen["geolocation"] != "granted"
    second.close()
    third.close()


# -- a browser that crashes ------------------------------------------------------------------------------------------

HUNG = ["crash-a", "crash-b"]  # the first two accounts, both at once: each hangs on the form until released
OTHERS = ["crash-c", "crash-d", "crash-e"]


def browser_processes(pid: int) -> list[int]:
    """The browsers' own processes among everything `pid` started: Chromium without a --type (a renderer, the GPU
    process... have one). Chromium rewrites its children's command lines as one string joined by spaces."""
    found = []
    for child in descendants(pid):
        try:
            line = Path(f"/proc/{child}/cmdline").read_bytes().decode().replace("\0", " ")
        except OSError:
            continue
        program = Path(line.split(" ", 1)[0]).name
        if program.startswith(("chrom", "headless")) and "crashpad" not in program and " --type=" not in line:
            found.append(child)
    return found


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def crashed(tmp_path_factory, keyring_session, chromium_path):
    """Five accounts, two at a time, in the run's one browser; the two first hang on the form; the browser is killed
    (SIGKILL) while they hang, then the form answers."""
    from conftest import make_cli
    from mock_support import RunningMock

    folder = tmp_path_factory.mktemp("crash")
    cli = make_cli(folder / "home", keyring_session, chromium_path)
    people = [Person(name) for name in HUNG + OTHERS]
    text = mock_accounts(people)
    for name in HUNG:
        text = text.replace(f'login = "{name}@example.org"\n', f'login = "{name}@example.org"\nhang_first_form = true\n')
    (folder / "mock.toml").write_text(text)
    (folder / "state").mkdir()
    mock = RunningMock(folder / "mock.toml", folder / "state")
    config = write_tool_accounts(folder / "accounts.toml", people, mock.state)
    store_secrets(cli, config, people)
    archive = folder / "archive"
    run = subprocess.Popen([sys.executable, "-m", "cli", "--config", str(config), "--mirror", mock.url, "--archive",
                            str(archive), "--concurrency", "2", "-v"], cwd=ROOT, env=cli.env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(mock.events("form_hanging")) == 2 or run.poll() is not None, "both forms to hang")
        browsers = browser_processes(run.pid)
        assert len(browsers) == 1, f"one browser for both accounts at once was expected: {browsers}"
        os.kill(browsers[0], signal.SIGKILL)
        wait_for(lambda: browsers[0] not in browser_processes(run.pid), "the killed browser to be gone", 30)
        mock.mock.state.released.set()  # a hanging form answers from now on
        stdout, stderr = run.communicate(timeout=240)
    finally:
        if run.poll() is None:
            run.kill()
        mock.stop()
    yield {"returncode": run.returncode, "stdout": stdout, "stderr": stderr, "mock": mock, "archive": archive,
           "killed": browsers[0]}


def retry_note(name: str) -> str:
    return f"{name}: the browser stopped under this account; trying it once more in a fresh browser"


@pytest.mark.slow
def test_the_accounts_of_the_crashed_browser_are_tried_again_in_a_fresh_one_and_filed_once(crashed):
    for name in HUNG:
        assert retry_note(name) in crashed["stderr"], crashed["stderr"][-4000:]
        assert len(crashed["mock"].submissions(f"{name}@example.org")) == 1, name
        assert table_row(crashed["stdout"], name)[2] == "confirmed", name
        # The attempt the crash cut short kept its evidence and says why it stopped; the retry filed it.
        outcomes = [receipt["outcome"] for receipt in receipts(crashed["archive"], name)]
        assert sorted(outcomes) == ["confirmed", "failed"], name
        failed = next(r for r in receipts(crashed["archive"], name) if r["outcome"] == "failed")
        assert failed["reason"].startswith("the browser stopped") and failed["sent"] is False


@pytest.mark.slow
def test_the_accounts_not_started_yet_go_on_in_the_fresh_browser(crashed):
    for name in OTHERS:
        assert len(crashed["mock"].submissions(f"{name}@example.org")) == 1, name
        assert table_row(crashed["stdout"], name)[2] == "confirmed", name
        assert [r["outcome"] for r in receipts(crashed["archive"], name)] == ["confirmed"], name
        assert retry_note(name) not in crashed["stderr"]
    assert crashed["stderr"].count("trying it once more in a fresh browser") == len(HUNG)
    assert crashed["returncode"] == 0


# -- start-up: the commands that need no browser never import Playwright ---------------------------------------------


def test_help_version_credentials_status_and_dry_run_never_import_playwright(cli, tmp_path):
    people = [Person("quick-a"), Person("quick-b", platform="instagram")]
    config = write_tool_accounts(tmp_path / "accounts.toml", people, tmp_path)
    store_secrets(cli, config, people)
    commands = [["--help"], ["--version"], ["credentials", "--help"], ["credentials", "check", "quick-a"],
                ["credentials", "list"], ["status"], ["status", "--json"], ["--dry-run"], ["--dry-run", "-v"]]
    for command in commands:
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "cli", "--config", str(config), *command],
                              cwd=ROOT, env=cli.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                    if line.startswith("import time:")]
        assert "click" in imported  # the import log is there to be read
        assert not [name for name in imported if name.split(".")[0] == "playwright"], command
