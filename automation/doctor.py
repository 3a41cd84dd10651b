"""`doctor`: is everything a run needs in place? One check per line, each with how to fix it when it fails.

Nothing here sends anything to a site: the browser is started headless on a blank page and closed; a mailbox is only
logged into (its folder opened read-only, no message searched or read); secrets are checked for existence, never
read, except a mailbox password, which the login to that mailbox needs.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from automation import outcomes
from automation.errors import ExpectedError

if TYPE_CHECKING:
    from automation.app import App

OK, WARN, FAIL, SKIPPED = "ok", "warn", "fail", "skipped"


@dataclass
class Check:
    check: str  # stable: browser, browser_start, keyring, accounts_file, secrets:NAME, mailbox:NAME, folder:state, ...
    status: str  # ok | warn | fail | skipped
    detail: str
    fix: str | None = None

    def line(self) -> str:
        mark = {OK: "ok", WARN: "WARN", FAIL: "FAIL", SKIPPED: "skip"}[self.status]
        return f"{mark:<4}  {self.check}: {self.detail}" + (f"; fix: {self.fix}" if self.fix else "")

    def record(self) -> dict:
        return asdict(self)


def failed(checks: list[Check]) -> bool:
    return any(check.status == FAIL for check in checks)


def browser_version(path: str) -> str:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"version unknown ({type(error).__name__})"
    return (done.stdout.strip() or done.stderr.strip() or "version unknown").splitlines()[0]


def browser_starts(path: str) -> None:
    from automation.browser import launch

    with launch(path) as browser:
        browser.new_page().close()


def checks(app: "App", *, chromium: str | None, state_dir: Path, launch: bool = True,
           start_browser: Callable[[str], None] = browser_starts) -> Iterator[Check]:
    """Every check, in order, as it completes."""
    from automation.browser import find_chromium
    from automation.credentials import INSECURE_OPT_IN, _is_unsafe, safe_backend

    accounts = None
    try:
        accounts = app.accounts()
        yield Check("accounts_file", OK, f"{accounts.path}: {len(accounts.accounts)} account(s): "
                    + ", ".join(account.name for account in accounts.accounts))
    except ExpectedError as error:
        missing = not Path(app.config).expanduser().is_file()
        yield Check("accounts_file", FAIL, error.message,
                    "run `submit-objections init`, or name another file with --config" if missing else error.hint)

    try:
        if chromium:
            path = find_chromium(chromium, "--chromium (or $SUBMIT_OBJECTIONS_CHROMIUM)")
        else:
            setting = accounts.settings.chromium if accounts else None
            path = find_chromium(setting, f"{app.config}: [settings] chromium")
        yield Check("browser", OK, f"{path} ({browser_version(path)})")
    except ExpectedError as error:
        path = None
        yield Check("browser", FAIL, error.message, error.hint)
    if not launch:
        yield Check("browser_start", SKIPPED, "not tried (--no-launch)")
    elif path is None:
        yield Check("browser_start", SKIPPED, "no browser to start", "see the browser check")
    else:
        try:
            start_browser(path)
            yield Check("browser_start", OK, "started headless and closed")
        except Exception as error:  # noqa: BLE001 - whatever the browser says, the user needs to see it
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            yield Check("browser_start", FAIL, f"{path} did not start: {first}",
                        "run it by hand with --headless to see why (missing libraries, a sandbox refused), or name "
                        "another with --chromium")

    keyring = None
    try:
        backend = safe_backend()
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        if _is_unsafe(backend):
            yield Check("keyring", WARN, f"{name}: NOT safe, accepted because {INSECURE_OPT_IN}=1",
                        f"use a Secret Service keyring (gnome-keyring, KeePassXC) and unset {INSECURE_OPT_IN}")
        else:
            yield Check("keyring", OK, f"{name}: safe")
        keyring = app.keyring()
    except ExpectedError as error:
        yield Check("keyring", FAIL, error.message, error.hint)

    for account in accounts.accounts if accounts else []:
        yield from _account_checks(account, keyring)

    yield _private_folder("folder:state", state_dir)
    yield _private_folder("folder:archive", app.archive)
    yield _chain(app.archive)


def _account_checks(account, keyring) -> Iterator[Check]:
    from automation.imap_client import MailboxSettings, check_login

    fix = f"`{outcomes.command('credentials', account.name)}`"
    if keyring is None:
        yield Check(f"secrets:{account.name}", SKIPPED, "no safe keyring to look in", "see the keyring check")
    else:
        try:
            missing = [what for kind, what in (("password", "login password"), ("mailbox", "mailbox password"))
                       if (kind == "password" or account.mailbox is not None) and not keyring.exists(account.name, kind)]
            has_totp = keyring.exists(account.name, "totp")
        except ExpectedError as error:
            missing, has_totp = [error.message], False
        if missing:
            yield Check(f"secrets:{account.name}", FAIL, f"missing: {', '.join(missing)}", f"run {fix}")
        else:
            yield Check(f"secrets:{account.name}", OK,
                        "login password stored" + (", 2FA secret stored" if has_totp else ", no 2FA secret")
                        + (", mailbox password stored" if account.mailbox is not None else ""))

    check = f"mailbox:{account.name}"
    if account.mailbox is not None:
        box = account.mailbox
        settings = MailboxSettings(host=box.host, port=box.port, tls=box.tls, user=box.user, folder=box.folder)
        if keyring is None or not keyring.exists(account.name, "mailbox"):
            yield Check(check, SKIPPED, f"{settings.name}: no mailbox password to log in with", f"run {fix}")
            return
        try:
            check_login(settings, keyring.get(account.name, "mailbox"), account.name)
            yield Check(check, OK, f"{settings.name}: reachable, logged in, folder {box.folder!r} opens")
        except ExpectedError as error:
            yield Check(check, FAIL, error.message, error.hint)
    elif account.maildir is not None:
        folder = Path(account.maildir)
        if all((folder / part).is_dir() for part in ("cur", "new", "tmp")):
            yield Check(check, OK, f"Maildir {folder} exists")
        else:
            yield Check(check, FAIL, f"Maildir {folder} does not exist (no cur, new and tmp in it)",
                        "correct 'maildir' in the accounts file, or point your mail delivery there")
    else:
        yield Check(check, OK, "none: a run at a terminal asks you for an emailed code")


def _private_folder(check: str, folder: Path) -> Check:
    folder = Path(folder).expanduser()
    if not folder.exists():
        return Check(check, OK, f"{folder}: not created yet (a run creates it 0700)")
    mode = stat.S_IMODE(os.stat(folder).st_mode)
    if mode & 0o077:
        return Check(check, FAIL, f"{folder}: mode {mode:04o}, others can read it", f"chmod 700 {folder}")
    return Check(check, OK, f"{folder}: mode {mode:04o}")


def _chain(archive: Path) -> Check:
    from automation.chain import submission_folders, verify

    archive = Path(archive).expanduser()
    if not archive.is_dir():
        return Check("archive_chain", OK, "no archive yet")
    problems, unsealed = verify(archive)
    count = len(submission_folders(archive))
    if problems:
        return Check("archive_chain", FAIL, f"{len(problems)} problem(s), first: {problems[0]}",
                     "`submit-objections archive verify` lists each; restore the files from a backup")
    if unsealed:
        return Check("archive_chain", WARN, f"{len(unsealed)} unsealed submission(s): {', '.join(unsealed)}",
                     "the account's next run seals it")
    return Check("archive_chain", OK, f"{count} submission(s), every file and the chain intact")
