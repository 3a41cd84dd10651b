"""The engine's entry points for the command line: one App that opens the accounts file, keyring and ledger when a
command first needs them; a run over plans; where each request stands.

Everything here decides; the CLI only parses, calls, and prints. Nothing here imports Playwright until a run
actually starts a browser, so that --help, --dry-run, credentials and status start at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from automation import outcomes
from automation.errors import ExitCode, ExpectedError

if TYPE_CHECKING:
    from automation.archive import LegacyFlow
    from automation.browser import BrowserHost
    from automation.config import Account, AccountsFile
    from automation.credentials import Keyring
    from automation.jobs import AccountReport, Plan
    from automation.ledger import Entry, Ledger
    from automation.plan import SiteMail


@dataclass
class App:
    config: Path
    archive: Path
    ledger_path: Path
    languages: list[str] | None = None  # the languages an account may name
    platforms: list[str] | None = None  # the platforms a flow is registered for
    # platform -> the flow that ledger rows and archive folders from before they named their flow belong to (the
    # CLI asks its flow registry); None: an older ledger cannot be migrated, older folders belong to no flow
    legacy_flow: "LegacyFlow | None" = None
    requests: dict[str, list[str]] | None = None  # per platform, the requests a flow is registered for
    _keyring: "Keyring | None" = field(default=None, repr=False)
    _ledger: "Ledger | None" = field(default=None, repr=False)

    def accounts(self) -> "AccountsFile":
        from automation.config import load_accounts

        return load_accounts(self.config, languages=self.languages, platforms=self.platforms, requests=self.requests)

    def keyring(self) -> "Keyring":
        if self._keyring is None:
            from automation.credentials import Keyring

            self._keyring = Keyring.open()
        return self._keyring

    def ledger(self) -> "Ledger":
        if self._ledger is None:
            from automation.ledger import Ledger

            self._ledger = Ledger(self.ledger_path.expanduser(), legacy_flow=self.legacy_flow)
        return self._ledger


@dataclass
class RunRequest:
    """What the command line asked of a run."""

    names: tuple[str, ...] = ()
    rehearse: bool = False
    mirror: str | None = None
    chromium: str | None = None
    headed: bool = False
    owner_wait: float = 0  # seconds; 0 when headless
    fresh_login: bool = False
    force: bool = False
    code_wait: float | None = None
    concurrency: int = 1
    pause: float = 5
    trace: Path | None = None
    quiet: bool = False


@dataclass
class Terminal:
    """How the engine talks to the person at the terminal, if there is one (the CLI supplies these)."""

    ask: Callable[[str], str | None] = lambda prompt: None  # None: nobody to ask
    confirm: Callable[[str], bool] = lambda question: True  # a yes-or-no question; False: the answer is no
    tell: Callable[[str], None] = lambda message: None
    interactive: bool = False


@dataclass
class RunResult:
    reports: list["AccountReport"]
    exit_code: ExitCode
    abandoned: bool = False  # a second Ctrl-C left browsers running: leave at once


def browser_host(headed: bool, mirror: bool) -> "BrowserHost":
    """A run's browser host with Playwright's driver starting now: a process of its own, it boots on the other core
    while the accounts file and the flows load."""
    from automation.browser import BrowserHost

    return BrowserHost(headed=headed, mirror=mirror).start()


def run(app: App, plans: list["Plan"], request: RunRequest, terminal: Terminal,
        host: "BrowserHost | None" = None) -> RunResult:
    """Files every plan that is not settled yet, and returns one report per plan (an account and a flow), in the
    plans' order. `host` is one `browser_host` started early; the run closes it (unless it was abandoned)."""
    from automation.browser import BrowserHost, find_chromium

    accounts = app.accounts()
    host = host or BrowserHost(headed=request.headed, mirror=request.mirror is not None)
    abandoned = False  # a second Ctrl-C left workers running: the browser is left to the process's exit
    try:
        if plans:
            host.start()  # Playwright's driver starts while the run reads its accounts, ledger and keyring
        chromium = (find_chromium(request.chromium, "--chromium (or $SUBMIT_OBJECTIONS_CHROMIUM)",
                                  host.playwright_chromium) if request.chromium
                    else find_chromium(accounts.settings.chromium, f"{accounts.path}: [settings] chromium",
                                       host.playwright_chromium))
        result = _run_with(app, accounts, plans, request, terminal, host, chromium)
        abandoned = result.abandoned
        return result
    finally:
        if not abandoned:
            host.close()


def _ready_wording(plans: list["Plan"]) -> None:
    """Compiles the flows' wording patterns on a thread of their own while the browser starts. Compiled at their
    first use instead, they held up the first accounts' steps: each key's pattern of every language takes a few
    milliseconds, a flow has some fifty keys, and the accounts at once all wait for the same ones."""
    import threading

    wanted = {}
    for plan in plans:
        wanted.setdefault(id(plan.wording), (plan.wording, set()))[1].add(plan.language)

    def compile_all() -> None:
        for wording, languages in wanted.values():
            for key in wording.tables[wording.reference]:
                wording.pattern(key)
                for language in languages:
                    wording.pattern(key, language)

    threading.Thread(target=compile_all, name="wording", daemon=True).start()


def _run_with(app: App, accounts: "AccountsFile", plans: list["Plan"], request: RunRequest, terminal: Terminal,
              host: "BrowserHost", chromium: str) -> RunResult:
    from automation.archive import iso, utc_now
    from automation.batch import Batch, BatchSettings
    from automation.jobs import RunOptions, missing_password
    from automation.progress import progress_for
    from automation.sessions import SessionStore, default_state_dir

    keyring = app.keyring()
    settings = BatchSettings(concurrency=request.concurrency, pause=request.pause)
    reports, to_run = settled_before_running(app, plans, request, terminal)
    if to_run:
        host.launch(chromium)  # the browser starts while the keyring is asked for each account's password
        _ready_wording(to_run)
    run_started = iso(utc_now())  # what another account's answer settles from now on is not filed
    runnable = []
    for plan in to_run:
        problem = missing_password(keyring, plan)
        (reports.append(problem) if problem else runnable.append(plan))
    progress = progress_for([plan.account.name for plan in runnable], quiet=request.quiet)
    options = RunOptions(
        archive=app.archive,
        mirror=request.mirror,
        rehearse=request.rehearse,
        code_wait_seconds=request.code_wait or accounts.settings.code_wait_seconds,
        ask=_one_at_a_time(terminal, progress),
        at_terminal=terminal.interactive,
        sessions=SessionStore(default_state_dir()),
        fresh_login=request.fresh_login,
        owner_wait=request.owner_wait,
        tell_owner=terminal.tell,
        trace=request.trace,
        ledger=app.ledger(),
        legacy_flow=app.legacy_flow,
        run_started=run_started,
    )
    batch = Batch(runnable, keyring, options, settings, progress, host)
    if runnable:
        with progress.shown():
            reports += batch.run()
    order = {(plan.account.name, plan.flow): index for index, plan in enumerate(plans)}
    reports.sort(key=lambda report: order[(report.account, report.flow)])
    return RunResult(reports, outcomes.exit_code([r.status for r in reports], request.rehearse), batch.abandoned)


def _one_at_a_time(terminal: Terminal, progress) -> Callable[[str], str | None]:
    """Questions from several accounts' workers, one at a time, with the live table out of the way."""
    lock = threading.Lock()

    def ask(prompt: str) -> str | None:
        if not terminal.interactive:
            return None
        with lock, progress.suspended():
            return terminal.ask(prompt)

    return ask


# Why a request the site reviews is not filed again while it waits for the site's email.
REVIEWED_SKIP = {
    "submitted": "the site reviews it and its email settles it (status --check-mail looks for it); ",
    "submitting": ("a run stopped as Send was clicked, before the site's answer, and the site's page cannot say "
                   "whether it has the request: its email settles it (status --check-mail looks for it); "),
}


def settled_states(plan: "Plan") -> set[str]:
    """The ledger states in which a new run does not file the plan's request again (unless --force): a request the
    site reviews is also settled from the moment Send was clicked, as its page never says it has it."""
    return outcomes.SETTLED_IN_LEDGER | (set(REVIEWED_SKIP) if plan.reviewed else set())


def settled_before_running(app: App, plans: list["Plan"], request: RunRequest,
                           terminal: Terminal) -> tuple[list["AccountReport"], list["Plan"]]:
    """Requests that are settled are skipped (unless --force); one whose Send was cut short and whose answer has
    arrived since is settled now. The rest run: the flow checks the site's page before filling anything."""
    from automation.jobs import AccountReport
    from automation.ledger import COVERED_NOTE

    ledger = app.ledger()

    def skip(plan: "Plan", entry: "Entry", why: str) -> "AccountReport":
        covered = f"; {entry.note}" if entry.note and entry.note.startswith(COVERED_NOTE) else ""
        return AccountReport(plan.account.name, plan.account.platform, outcomes.state(entry.status).name,
                             f"skipped: {entry.status} since {entry.since}{covered}; {why}",
                             Path(entry.evidence) if entry.evidence else None, flow=plan.flow)

    skipped, to_run = [], []
    for plan in plans:
        account = plan.account
        entry = ledger.get(account.name, plan.flow)
        if entry and entry.sent_but_unsettled and entry.evidence and not request.rehearse:
            check_mail(app, entry, account, plan.mail, terminal.tell, linked=plan.linked)
            entry = ledger.get(account.name, plan.flow)
        if entry and entry.status in settled_states(plan) and not (request.force or request.rehearse):
            why = REVIEWED_SKIP.get(entry.status, "") if plan.reviewed else ""
            skipped.append(skip(plan, entry, why + "--force files again"))
        else:
            to_run.append(plan)
    again = {(plan.account.name, plan.flow): entry for plan in to_run
             if (entry := ledger.get(plan.account.name, plan.flow)) and entry.status in settled_states(plan)}
    if again and not request.rehearse and terminal.interactive:
        asked = [plan for plan in to_run if (plan.account.name, plan.flow) in again]
        sites = sorted({plan.site for plan in asked})
        names = list(dict.fromkeys(plan.account.name for plan in asked))
        if not terminal.confirm(f"{' and '.join(sites)} already has the request for {', '.join(names)}. File again?"):
            skipped += [skip(plan, again[(plan.account.name, plan.flow)], "not filed again, as you answered")
                        for plan in asked]
            to_run = [plan for plan in to_run if (plan.account.name, plan.flow) not in again]
    return skipped, to_run


def check_mail(app: App, entry: "Entry", account: "Account", mail: "SiteMail",
               tell: Callable[[str], None] = lambda message: None, linked: tuple = ()) -> str | None:
    """Looks for the site's answer to a request sent earlier (mail from `mail.senders` only); keeps it as evidence
    and moves the ledger on; an answer that also covers the `linked` accounts' requests settles those too."""
    from automation.chain import seal
    from automation.jobs import answer_in_mailbox, cover_linked
    from automation.plan import Plan

    if not entry.evidence or not entry.sent_at:
        return None
    folder = Path(entry.evidence)
    try:
        verdict = answer_in_mailbox(account, app.keyring(), entry.sent_at, folder, mail)
    except ExpectedError as error:
        tell(f"{account.name}: {error}")
        return None
    if verdict is None:
        return None
    seal(folder, app.archive, note=f"{mail.site}'s email: {verdict}")
    status = verdict if verdict in ("honoured", "refused") else "submitted" if mail.reviewed else "confirmed"
    app.ledger().record(account.name, entry.flow, account.platform, status, evidence=folder,
                        note=f"{mail.site}'s email says: {verdict}")
    if status == "honoured" and linked:
        plan = Plan(account, "", [], mail.wording, flow=entry.flow, site=mail.site, mail_senders=mail.senders,
                    linked=tuple(linked))
        for name in cover_linked(app.ledger(), plan, folder):
            tell(f"{account.name}: {mail.site}'s email also covers {name}, which is not filed for")
    return status


def status_rows(app: App, sites: dict[str, "SiteMail"] | None = None,
                tell: Callable[[str], None] = lambda message: None,
                linked: Callable[["Account", str], tuple] = lambda account, flow: ()
                ) -> list[tuple[str, str, str, str, str, str]]:
    """Each request's row, one per account and flow: account, flow, platform, status, since, what to do next. With
    `sites` (per flow id: its site's name, mail senders and wording), first look in each account's mailbox for the
    answer to requests still waiting for one, and file it in that request's own evidence folder."""
    ledger = app.ledger()
    if sites is not None:
        accounts = {account.name: account for account in app.accounts().accounts}
        for entry in ledger.all():
            if entry.account in accounts and entry.flow in sites and entry.status in outcomes.AWAITING_ANSWER:
                mail = sites[entry.flow]
                found = check_mail(app, entry, accounts[entry.account], mail, tell,
                                   linked=linked(accounts[entry.account], entry.flow))
                if found:
                    tell(f"{entry.account}: {mail.site}'s email found, now {found}")
    return [(e.account, e.flow, e.platform, e.shown_status, e.since, outcomes.next_action(e.shown_status, e.account))
            for e in ledger.all()]
