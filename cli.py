"""submit-objections: object to Meta's use of your posts, photos and comments for AI, for each of your accounts.

Only click commands live here: parse, call into automation/, print, map errors to exit codes. Each command imports
what it needs when it runs, so that --help and --version answer at once.
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import sys
from pathlib import Path

import click
import platformdirs

from automation import __version__
from automation.errors import EXIT_CODE_TABLE, ExitCode, ExpectedError

APP = "submit-objections"
# At exit the interpreter's last collections walk every object a run made (a third of a second after the table was
# printed); frozen, they are left to the process's end like the rest of its memory. Nothing of ours waits for them.
atexit.register(gc.freeze)
DEFAULT_CONFIG = platformdirs.user_config_path(APP) / "accounts.toml"
DEFAULT_ARCHIVE = platformdirs.user_data_path(APP) / "archive"
DEFAULT_LEDGER = platformdirs.user_data_path(APP) / "ledger.sqlite3"
DEFAULT_DEMO = platformdirs.user_cache_path(APP) / "demo"


class Failure(click.ClickException):
    def __init__(self, error: ExpectedError):
        super().__init__(str(error))
        self.exit_code = int(error.exit_code)


def reports_errors(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ExpectedError as error:
            raise Failure(error) from None

    return wrapper


def _app(config: Path, archive: Path):
    from automation.app import App
    from flows import legacy_flow, platforms, requests_by_platform
    from flows.wording import languages

    ledger = Path(os.environ.get("SUBMIT_OBJECTIONS_LEDGER") or DEFAULT_LEDGER)
    return App(config=config, archive=archive, ledger_path=ledger, languages=languages(), platforms=platforms(),
               legacy_flow=legacy_flow, requests=requests_by_platform())


def _complete_accounts(ctx: click.Context, param, incomplete: str):
    """Shell completion: the account names in the accounts file (--config, its variable, or the default)."""
    from automation.accounts_file import names

    config = ctx.find_root().params.get("config") or os.environ.get("SUBMIT_OBJECTIONS_CONFIG") or DEFAULT_CONFIG
    return [name for name in names(Path(config)) if name.startswith(incomplete)]


def _complete_submissions(ctx: click.Context, param, incomplete: str):
    """Shell completion: the submission IDs (ACCOUNT/TIME) in the archive."""
    from automation.chain import submission_folders

    archive = Path(ctx.find_root().params.get("archive") or os.environ.get("SUBMIT_OBJECTIONS_ARCHIVE")
                   or DEFAULT_ARCHIVE).expanduser()
    try:
        found = [str(folder.relative_to(archive)) for folder in submission_folders(archive)]
    except OSError:
        return []
    return [name for name in found if name.startswith(incomplete)]


def _echo_json(data, **options) -> None:
    import json

    click.echo(json.dumps(data, indent=2, **options))


# Libraries whose debug output carries what they send and receive: an IMAP conversation holds Meta's emails, codes
# included. They stay at warnings whatever -v asks for.
CHATTY_LIBRARIES = ("imapclient", "imaplib")


def _setup_logging(verbosity: int) -> None:
    import logging

    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


@click.group(
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    epilog=EXIT_CODE_TABLE.replace("\n", "\n\n\b\n", 1),
)
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), envvar="SUBMIT_OBJECTIONS_CONFIG",
              default=DEFAULT_CONFIG, show_default=True, help="The accounts file (TOML). Env: SUBMIT_OBJECTIONS_CONFIG.")
@click.option("--account", "names", multiple=True, metavar="NAME", shell_complete=_complete_accounts,
              help="Only this account; repeat for several.")
@click.option("--dry-run", is_flag=True, help="Print each account's plan in words, per request (with -v every step and "
              "branch), and the text it sends; no browser, no network, no secret read.")
@click.option("--rehearse", is_flag=True, help="Walk the real pages and fill the form, screenshot it, stop before Send.")
@click.option("--archive", type=click.Path(path_type=Path, file_okay=False), envvar="SUBMIT_OBJECTIONS_ARCHIVE",
              default=DEFAULT_ARCHIVE, show_default=True, help="Where evidence goes. Env: SUBMIT_OBJECTIONS_ARCHIVE.")
@click.option("--mirror", metavar="URL", envvar="SUBMIT_OBJECTIONS_MIRROR",
              help="Serve Meta's hosts from URL/<host><path> (a local mock); every other host is blocked. "
              "Env: SUBMIT_OBJECTIONS_MIRROR.")
@click.option("--chromium", metavar="PATH", envvar="SUBMIT_OBJECTIONS_CHROMIUM",
              help="The Chromium or Chrome binary to drive (headless: the headless shell installed beside it, if any). "
              "Env: SUBMIT_OBJECTIONS_CHROMIUM.")
@click.option("--headed", is_flag=True, help="Show the browser window; when Meta asks for a security check, you solve it "
              "there and the run carries on.")
@click.option("--owner-wait", type=click.FloatRange(min=1), default=10, show_default=True, metavar="MINUTES",
              help="With --headed: how long to wait for you to pass a security check in the window.")
@click.option("--fresh-login", is_flag=True, help="Ignore saved sessions and log in with the password.")
@click.option("--force", is_flag=True, help="File again for accounts the ledger has as confirmed, honoured or already "
              "objected (asks first at a terminal).")
@click.option("--code-wait", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="How long to wait for Meta's emailed code in the account's mailbox or Maildir [default: 180].")
@click.option("--concurrency", type=click.IntRange(1, 8), default=1, show_default=True, envvar="SUBMIT_OBJECTIONS_CONCURRENCY",
              help="Run up to N accounts at once: one browser, a fresh context per account. Env: "
              "SUBMIT_OBJECTIONS_CONCURRENCY.")
@click.option("--pause", type=click.FloatRange(min=0), default=5, show_default=True, metavar="SECONDS",
              envvar="SUBMIT_OBJECTIONS_PAUSE",
              help="Longest pause between two accounts, as a person would take (0: none). Env: SUBMIT_OBJECTIONS_PAUSE.")
@click.option("--json", "as_json", is_flag=True, help="Print the final table as JSON.")
@click.option("--trace", type=click.Path(path_type=Path, file_okay=False), envvar="SUBMIT_OBJECTIONS_TRACE",
              default=None, help="Record a Playwright trace per account in this folder, for debugging; passwords, "
              "codes and cookies are left out. Env: SUBMIT_OBJECTIONS_TRACE.")
@click.option("-v", "--verbose", count=True, help="Log each step (-v), and more (-vv).")
@click.option("-q", "--quiet", count=True, help="Print only the final table.")
@click.version_option(__version__, prog_name=APP)
@click.pass_context
def main(ctx: click.Context, config: Path, names: tuple[str, ...], dry_run: bool, rehearse: bool, archive: Path,
         mirror: str | None, chromium: str | None, headed: bool, owner_wait: float, fresh_login: bool, force: bool,
         code_wait: float | None, concurrency: int, pause: float, as_json: bool, trace: Path | None, verbose: int,
         quiet: int) -> None:
    """File an objection to Meta's use of your information for AI, for every account in the accounts file.

    For each account: log in with the password and 2FA secret from the keyring, walk to Meta's right-to-object
    form, fill and send the objection in the account's language, type Meta's emailed code, recognise the outcome and
    keep screenshots and a receipt in the archive. Run `credentials set NAME` first for each account.

    An account's `requests` (README, "Requests") may add Meta's form for information from third parties used for AI
    at Meta; one login serves all of an account's requests, each with its own row, ledger entry and evidence.
    """
    _garbage_collector_off(ctx)
    _setup_logging(verbose - quiet)
    if ctx.invoked_subcommand is None and dry_run and rehearse:
        raise click.UsageError("--dry-run and --rehearse exclude each other: a dry run opens no browser at all")
    host = None
    if ctx.invoked_subcommand is None and not dry_run:
        from automation.app import browser_host

        host = browser_host(headed=headed, mirror=bool(mirror))  # it boots while the accounts and flows load
    try:
        ctx.obj = _app(config, archive.expanduser())
        if ctx.invoked_subcommand is not None:
            return
        code = _run(ctx.obj, names, dry_run, verbose > 0, rehearse=rehearse, mirror=mirror, chromium=chromium,
                    headed=headed, owner_wait=owner_wait * 60 if headed else 0, fresh_login=fresh_login, force=force,
                    code_wait=code_wait, concurrency=concurrency, pause=pause, as_json=as_json,
                    trace=trace.expanduser() if trace else None, quiet=quiet > 0, host=host)
    except ExpectedError as error:
        raise Failure(error) from None
    except KeyboardInterrupt:  # before the accounts started (a question, the browser's look-up) or after the table
        click.echo("\ninterrupted (Ctrl-C)", err=True)
        code = ExitCode.INTERRUPTED
    finally:
        if host is not None:
            host.close()  # when the run did not get as far as closing it itself
    ctx.exit(int(code))


def _garbage_collector_off(ctx: click.Context) -> None:
    """Start-up makes hundreds of thousands of objects that live to the end (modules, pydantic schemas, the plans):
    the cyclic garbage collector went through them again and again for nothing, a tenth of a dry run. Without a
    subcommand it is off until the command ends; a run turns it back on before it starts the browsers."""
    if ctx.invoked_subcommand is None and gc.isenabled():
        gc.disable()
        ctx.call_on_close(gc.enable)


def _plans(app, names: tuple[str, ...]):
    """Every selected account's plans, one per request it names (an account and a flow), in the accounts file's
    order: the flow's steps and the objection text, checked before any browser starts."""
    from automation.plan import Plan
    from automation.templates import render_objection
    from flows import flow_for
    from flows.wording import expected_language

    plans = []
    accounts = app.accounts()  # read once: each account's links are looked up in it
    for account in accounts.select(names):
        for request in account.requests:
            flow = flow_for(account.platform, request)
            language = expected_language(account.language, account.country)
            objection = ""
            if flow.objection_text is not None:
                builtin = flow.objection_text(language) if account.template is None else ""
                objection = render_objection(account, builtin, language, site=flow.site)
            routing, offered = flow.routing(account.country)
            plans.append(Plan(account, objection, flow.steps(account, objection), flow.wording, flow=flow.id,
                              language=language, site=flow.site, domains=flow.domains, routing=routing,
                              offered=offered, mail_senders=flow.mail_senders, request=request, title=flow.title,
                              reviewed=flow.reviewed, mail_about=flow.mail_about, texts=flow.texts(account),
                              linked=_linked(accounts, account, flow.id)))
    return plans


def _linked(accounts, account, flow_id: str) -> tuple:
    """The requests of the accounts linked to `account` (linked_to) that the site's answer to its `flow_id` request
    may cover: each linked account's request of the same kind, when it asks for it (its platform's flow for it)."""
    from automation.plan import Linked
    from flows import FLOWS, flow_for

    request = FLOWS[flow_id].request
    if not FLOWS[flow_id].covers_linked:
        return ()
    found = []
    for other in accounts.linked_with(account.name):
        if request not in other.requests:
            continue
        flow = flow_for(other.platform, request)
        if flow.covers_linked:
            found.append(Linked(other.name, other.platform, flow.id))
    return tuple(found)


def _run(app, names: tuple[str, ...], dry_run: bool, verbose: bool, *, as_json: bool, mirror: str | None,
         host=None, **asked) -> ExitCode:
    from automation import app as engine
    from automation.config import parse_mirror

    mirror = parse_mirror(mirror) if mirror else None
    plans = _plans(app, names)
    if dry_run:
        _print_dry_run(app, plans, mirror, full=verbose)
        return ExitCode.OK
    gc.freeze()  # what start-up made lives to the end: the run's collections need not walk it again
    gc.enable()  # a run lasts minutes; a dry run only prints
    request = engine.RunRequest(names=names, mirror=mirror, **asked)
    result = engine.run(app, plans, request, _terminal(), host)
    from automation.report import as_json as reports_as_json, table

    if as_json:
        _echo_json(reports_as_json(result.reports))
    else:
        click.echo(table(result.reports))
    if result.abandoned:  # browsers still running in their threads would crash an orderly interpreter exit
        sys.stdout.flush()
        os._exit(int(ExitCode.INTERRUPTED))
    return result.exit_code


def _terminal():
    from automation.app import Terminal

    def answer(question, nothing):
        # click turns Ctrl-C at a prompt into Abort, as it does Ctrl-D: a Ctrl-C stops the run (exit 130), while a
        # Ctrl-D only answers nothing.
        try:
            return question()
        except click.Abort as abort:
            if isinstance(abort.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            return nothing

    def ask(prompt: str) -> str | None:
        typed = answer(lambda: click.prompt(prompt, hide_input=True, default="", show_default=False, err=True), None)
        return typed or None

    def confirm(question: str) -> bool:
        return answer(lambda: click.confirm(question, default=False, err=True), False)

    return Terminal(ask=ask, confirm=confirm, tell=lambda message: click.echo(message, err=True),
                    interactive=sys.stdin.isatty() and sys.stderr.isatty())


def _print_dry_run(app, plans, mirror: str | None, full: bool) -> None:
    from automation.dryrun import dry_run_lines

    try:
        keyring, problem = app.keyring(), ""
    except ExpectedError as error:
        keyring, problem = None, error.message
    click.echo("\n".join(dry_run_lines(plans, mirror, keyring, problem, full)))  # one write for the 4,000 lines of 100 accounts


# -- credentials ------------------------------------------------------------------------------------------------------


@main.group()
def credentials() -> None:
    """Store, check and delete each account's password and 2FA secret in the OS keyring."""


def _known_account(app, name: str):
    return app.accounts().get(name) if app.config.is_file() else None


@credentials.command("set")
@click.argument("name", shell_complete=_complete_accounts)
@click.option("--no-totp", is_flag=True, help="Remove a stored 2FA secret (for an account without 2FA).")
@click.pass_obj
@reports_errors
def credentials_set(app, name: str, no_totp: bool) -> None:
    """Store NAME's Meta password, optionally its 2FA (TOTP) secret, and its mailbox password if it has a mailbox.

    At a terminal each is asked for without echo. Otherwise they are read from standard input: the password on the
    first line, the 2FA secret on the second (may be empty), the mailbox password on the third. They never go on
    the command line.
    """
    from automation.credentials import normalise_totp_secret

    account = _known_account(app, name)
    keyring = app.keyring()
    wants_mailbox = account is not None and account.mailbox is not None
    if sys.stdin.isatty():
        password = click.prompt("Meta password", hide_input=True)
        totp = "" if no_totp else click.prompt(
            "2FA secret (the key Meta shows to set up an authenticator app; Enter to skip)",
            hide_input=True, default="", show_default=False)
        mailbox = click.prompt(f"Password of the mailbox {account.mailbox.user}@{account.mailbox.host} (an app "
                               "password for Gmail or Outlook; Enter to keep)", hide_input=True, default="",
                               show_default=False) if wants_mailbox else ""
    else:
        lines = sys.stdin.read().splitlines()
        password = lines[0] if lines else ""
        totp = "" if no_totp or len(lines) < 2 else lines[1]
        mailbox = lines[2] if wants_mailbox and len(lines) > 2 else ""
    if not password:
        raise Failure(ExpectedError("no password given", hint="type it at the prompt, or pipe it on the first line"))
    secret = normalise_totp_secret(totp) if totp.strip() else None
    keyring.set(name, "password", password)
    if secret:
        keyring.set(name, "totp", secret)
        totp_state = "stored"
    elif no_totp:
        keyring.delete(name, "totp")
        totp_state = "removed"
    else:
        totp_state = "kept" if keyring.exists(name, "totp") else "none"
    said = f"{name}: password stored; 2FA secret {totp_state}"
    if wants_mailbox:
        if mailbox:
            keyring.set(name, "mailbox", mailbox)
        said += "; mailbox password " + ("stored" if mailbox else "kept" if keyring.exists(name, "mailbox") else "none")
    click.echo(said)


@credentials.command("delete")
@click.argument("name", shell_complete=_complete_accounts)
@click.pass_obj
@reports_errors
def credentials_delete(app, name: str) -> None:
    """Delete everything stored for NAME."""
    from automation.credentials import SECRET_KINDS
    from automation.sessions import SessionStore, default_state_dir

    keyring = app.keyring()
    removed = [SECRET_KINDS[kind] for kind in SECRET_KINDS if keyring.delete(name, kind)]
    if SessionStore(default_state_dir()).delete(name):
        removed.append("saved browser session")
    click.echo(f"{name}: removed {', '.join(removed)}" if removed else f"{name}: nothing was stored")


@credentials.command("check")
@click.argument("names", nargs=-1, shell_complete=_complete_accounts)
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (keys in the README).")
@click.pass_obj
@reports_errors
def credentials_check(app, names: tuple[str, ...], as_json: bool) -> None:
    """Say what is stored for each account (all in the accounts file if none is named); never prints a secret."""
    from automation.listings import credential_states

    known = {account.name: account for account in app.accounts().accounts} if app.config.is_file() else {}
    records = credential_states(app.keyring(), list(names or known),
                                {name: account.mailbox is not None for name, account in known.items()})
    totp_words = {"none": "none", "valid": "stored, valid base32", "invalid": "stored, NOT valid base32"}
    if as_json:
        _echo_json(records)
    for record in [] if as_json else records:
        line = (f"{record['account']}: password {'stored' if record['password'] else 'MISSING'}; "
                f"2FA secret {totp_words[record['totp']]}")
        if record["mailbox"] is not None:
            line += f"; mailbox password {'stored' if record['mailbox'] else 'MISSING'}"
        click.echo(line)
    if not all(record["complete"] for record in records):
        raise Failure(ExpectedError("some credentials are missing or invalid", hint="submit-objections credentials set NAME"))


@credentials.command("list")
@click.pass_obj
@reports_errors
def credentials_list(app) -> None:
    """List the accounts file's accounts and which secrets each has stored."""
    from automation.credentials import SECRET_KINDS

    keyring = app.keyring()
    for account in app.accounts().accounts:
        stored = [what for kind, what in SECRET_KINDS.items() if keyring.exists(account.name, kind)]
        click.echo(f"{account.name} ({account.platform}): {', '.join(stored) or 'nothing stored'}")


# -- status and the archive ------------------------------------------------------------------------------------------

@main.command()
@click.option("--check-mail", is_flag=True, help="Look in each account's mailbox for Meta's answer first.")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (keys in the README).")
@click.pass_obj
@reports_errors
def status(app, check_mail: bool, as_json: bool) -> None:
    """Where each account's objection stands, since when, and what to do next: one row per account and flow (a
    FLOW column appears once an account has requests of more than one flow)."""
    from automation.app import status_rows

    sites = None
    if check_mail:
        from automation.plan import SiteMail
        from flows import FLOWS

        sites = {flow.id: SiteMail(flow.site, flow.mail_senders, flow.wording, flow.reviewed, flow.mail_about)
                 for flow in FLOWS.values()}
    accounts = functools.cache(app.accounts)  # read once, and only if an answer covers linked accounts
    rows = status_rows(app, sites, tell=lambda message: click.echo(message, err=True),
                       linked=lambda account, flow: _linked(accounts(), account, flow))
    _print_status(rows, as_json)
    overdue = [row[0] for row in rows if row[3] == "overdue"]  # account, flow, platform, status, ...
    if check_mail and overdue:  # a scheduled re-check tells its owner by its exit code
        click.echo(f"overdue: {', '.join(overdue)}: a month without an answer; `archive complain NAME` writes a "
                   "complaint to your data protection authority, with the evidence zip", err=True)
        raise click.exceptions.Exit(int(ExitCode.OVERDUE))


def _print_status(rows, as_json: bool) -> None:
    from automation.report import several_flows

    if as_json:
        from automation.listings import status_records

        _echo_json(status_records(rows))
        return
    if not rows:
        click.echo("The ledger is empty: no objection has been filed from this computer yet.")
        return
    flows = several_flows([row[0] for row in rows])
    rows = [("ACCOUNT", "FLOW", "PLATFORM", "STATUS", "SINCE", "NEXT"), *rows]
    rows = [row if flows else (row[0], *row[2:]) for row in rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths)) + "  " + row[-1])


@main.group()
def archive() -> None:
    """List, show, verify and export the evidence (see --archive), and write a complaint from it."""


@archive.command("list")
@click.option("--account", "names", multiple=True, metavar="NAME", help="Only this account's; repeat for several.")
@click.option("--flow", "flows", multiple=True, metavar="ID", help="Only this flow's (as the last column shows it, "
              "e.g. facebook-ai-objection); repeat for several.")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (keys in the README).")
@click.pass_obj
def archive_list(app, names: tuple[str, ...], flows: tuple[str, ...], as_json: bool) -> None:
    """Every submission: its ID (ACCOUNT/FOLDER), outcome, whether it is sealed, and the flow it was filed with
    (a folder from before IDs named the flow counts as its platform's objection flow)."""
    from automation import exporting

    entries = app.ledger().all() if app.ledger_path.expanduser().is_file() else []
    listed = [(folder, flow) for folder, flow in exporting.submissions_with_flows(app.archive, entries, app.legacy_flow)
              if (not names or folder.parent.name in names) and (not flows or flow in flows)]
    if as_json:
        from automation.listings import submissions

        _echo_json(submissions(app.archive, listed))
        return
    if not listed:
        click.echo(f"No submissions in {app.archive}" + (" for that account or flow." if names or flows else "."))
    for folder, flow in listed:
        receipt = exporting.receipt_of(folder)
        sealed = "sealed" if any(folder.glob("manifest*.json")) else "UNFINISHED"
        click.echo(f"{folder.relative_to(app.archive)}  {receipt.get('outcome', '-')}  {sealed}  {flow or '-'}")


@archive.command("show")
@click.argument("submission", shell_complete=_complete_submissions)
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (keys in the README).")
@click.pass_obj
@reports_errors
def archive_show(app, submission: str, as_json: bool) -> None:
    """One submission (SUBMISSION: its ID, ACCOUNT/FOLDER, as `archive list` shows it): its outcome, the form,
    every field as sent and how it was found, the times, the site's answer, and each file with its SHA-256 as
    sealed."""
    from automation import exporting

    if as_json:
        from automation.listings import submission as submission_record

        _echo_json(submission_record(exporting.find_submission(app.archive, submission)), ensure_ascii=False)
        return
    for line in exporting.show_lines(exporting.find_submission(app.archive, submission), app.legacy_flow):
        click.echo(line)


@archive.command("verify")
@click.argument("submission", required=False, shell_complete=_complete_submissions)
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (keys in the README); same exit codes.")
@click.pass_obj
@reports_errors
def archive_verify(app, submission: str | None, as_json: bool) -> None:
    """Re-hash every file and re-check the chain of manifests (or one SUBMISSION's, ACCOUNT/FOLDER); exit 7 when a
    sealed file or submission was changed or is missing, 6 when a submission is unsealed (a run was stopped before it
    sealed what it captured)."""
    from automation import exporting
    from automation.chain import submission_folders, verify

    if submission:
        exporting.find_submission(app.archive, submission)
    if as_json:
        from automation.listings import verification

        result = verification(app.archive, submission)
        _echo_json(result)
        code = ExitCode.EVIDENCE_CHANGED if result["problems"] else ExitCode.UNSEALED if result["unsealed"] else 0
        raise click.exceptions.Exit(int(code))
    problems, unsealed = verify(app.archive, submission)
    for name in unsealed:
        account = name.split("/", 1)[0]
        click.echo(f"UNSEALED {name}: no manifest, so not evidence yet: a run stopped before it sealed what it "
                   f"captured; the next `submit-objections --account {account}` seals it as it is")
    for problem in problems:
        click.echo(f"MISMATCH {problem}")
    if problems:
        raise click.exceptions.Exit(int(ExitCode.EVIDENCE_CHANGED))
    checked = [folder for folder in submission_folders(app.archive)
               if not submission or str(folder.relative_to(app.archive)) == submission]
    click.echo(f"{len(checked) - len(unsealed)} sealed submission(s) verified: every file and the chain are intact.")
    if unsealed:
        raise click.exceptions.Exit(int(ExitCode.UNSEALED))


@archive.command("export")
@click.argument("submissions", nargs=-1, required=True, shell_complete=_complete_submissions)
@click.option("--to", "target", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The zip file to write.")
@click.pass_obj
@reports_errors
def archive_export(app, submissions: tuple[str, ...], target: Path) -> None:
    """Write a zip for a complaint: the files, and an index.html showing screenshots, the text sent and the timeline
    (SUBMISSIONS: IDs, ACCOUNT/FOLDER, as `archive list` shows them)."""
    from automation import exporting

    exporting.export(app.archive, list(submissions), target, app.legacy_flow)
    click.echo(f"wrote {target}")


@archive.command("complain")
@click.argument("name", shell_complete=_complete_accounts)
@click.option("--flow", "flow_id", metavar="ID", help="The request to complain about (as `status` shows its flow); "
              "needed only when more than one of the account's requests was refused or is overdue.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The letter to write (default: complaint-NAME-FLOW-DATE.txt in this folder); the evidence zip "
              "goes beside it, named after it (...-evidence.zip).")
@click.pass_obj
@reports_errors
def archive_complain(app, name: str, flow_id: str | None, out: Path | None) -> None:
    """Write (never send) a complaint to the data protection authority of NAME's country about a request Meta
    refused, or left unanswered a month after Send (GDPR Art. 12(3)): a letter in the account's language quoting
    what was sent and when and Meta's answer, and beside it the evidence zip it names (as `archive export`)."""
    from automation import complaint
    from automation.plan import SiteMail
    from flows import FLOWS
    from flows.complaints import CONTROLLER, template
    from flows.wording import expected_language

    account = app.accounts().get(name)
    entry = complaint.entry_for(app.ledger().all(), name, flow_id)
    flow = FLOWS.get(entry.flow)
    if flow is None:
        raise complaint.ConfigError(f"{name}: no flow {entry.flow!r} is registered",
                                            hint="the flow that filed the request is needed to read its answer")
    done = complaint.write(archive=app.archive, entry=entry, account=account,
                           mail=SiteMail(flow.site, flow.mail_senders, flow.wording, flow.reviewed, flow.mail_about),
                           controller=CONTROLLER,
                           language=expected_language(account.language, account.country), template_for=template,
                           out=out, legacy_flow=app.legacy_flow)
    authority = done.authority
    click.echo(f"wrote {done.letter}: a complaint to {authority.name} ({authority.complaint}), in {done.language}, "
               f"about the request {entry.flow} ({done.grounds})")
    click.echo(f"wrote {done.evidence}: the evidence the letter names (sealed files, each checked against its SHA-256)")
    if done.fallback:
        click.echo(f"note: there is no complaint letter in the language {done.fallback!r} yet, so it is in English",
                   err=True)
    if not authority.verified:
        click.echo(f"note: the authority's address was not re-checked for this tool: check it on {authority.website} "
                   "before you post the letter", err=True)
    if authority.note:
        click.echo(f"note: {authority.note}", err=True)
    click.echo("Nothing was sent: post the letter or paste it into the authority's complaint page, with the zip.")


@archive.command("report")
@click.option("--open", "open_it", is_flag=True, help="Open it in your browser.")
@click.pass_obj
@reports_errors
def archive_report(app, open_it: bool) -> None:
    """Write an HTML page of the whole archive (status, screenshots and receipts per account and flow)."""
    from automation import exporting

    target = exporting.report(app.archive, app.ledger().all(), app.legacy_flow)
    click.echo(f"wrote {target}")
    if open_it:
        click.launch(str(target))


# -- the accounts file: init, accounts add|list|remove -----------------------------------------------------------------

def _known_lists():
    from flows import platforms
    from flows.wording import languages

    return platforms(), languages()


def _ask_account(platforms: list[str], languages: list[str], taken: list[str]) -> dict:
    """One account's fields, asked at the terminal (or read line by line from standard input with --ask); a value
    the loader would refuse is asked again at once."""
    from automation.accounts_file import field_problem

    def checked(key: str):
        def check(value: str) -> str:
            value = value.strip()
            problem = field_problem(key, value, platforms, languages) if value or key != "language" else None
            if problem is None and key == "name" and value in taken:
                problem = f"{value!r} is taken already"
            if problem:
                raise click.BadParameter(problem)
            return value
        return check

    name = click.prompt("Account name (your label, e.g. anna-facebook)", value_proc=checked("name"))
    platform = click.prompt("Platform", type=click.Choice(platforms), default=platforms[0])
    login = click.prompt("Login (what you type into the site's login field)", value_proc=checked("login"))
    email = click.prompt("The account's email address", default=login if "@" in login else None,
                         value_proc=checked("email"))
    country = click.prompt("Country of residence (ISO 3166 code, e.g. DE, FR, IE)", value_proc=checked("country"))
    language = click.prompt(f"Language the site shows it in ({', '.join(languages)}; Enter: the country's)",
                            default="", show_default=False, value_proc=checked("language"))
    maildir = click.prompt("Maildir where its emails arrive (Enter: none, codes are asked at the terminal)",
                           default="", show_default=False)
    return {"name": name, "platform": platform, "login": login, "email": email, "country": country.upper(),
            "language": language.lower() or None, "maildir": maildir or None}


@main.command()
@click.option("--ask/--example", "ask", default=None,
              help="Ask for each account (the default at a terminal), or write a commented example to edit "
              "(the default elsewhere).")
@click.pass_context
@reports_errors
def init(ctx: click.Context, ask: bool | None) -> None:
    """Write the accounts file where the tool looks for it (--config): at a terminal it asks for each account, checks
    the file as a run would and offers to store each account's password; otherwise it writes a commented example.
    An existing file is replaced only when you say so."""
    from automation import accounts_file

    app = ctx.obj
    path = Path(app.config).expanduser()
    platforms, languages = _known_lists()
    ask = sys.stdin.isatty() if ask is None else ask
    overwrite = False
    if path.exists():
        if not ask or not click.confirm(f"{path} exists. Replace it?", default=False):
            raise Failure(ExpectedError(
                f"{path} exists already; init leaves it as it is",
                hint="`submit-objections accounts add NAME` adds an account; `submit-objections doctor` checks it"))
        overwrite = True
    if not ask:
        accounts_file.write_new(path, [accounts_file.example_entry(platforms)], platforms, languages, example=True,
                                overwrite=overwrite)
        click.echo(f"wrote an example accounts file {path}: change its values to your account's, then run "
                   "`submit-objections doctor`")
        return
    entries: list[dict] = []
    while True:
        entries.append(_ask_account(platforms, languages, [entry["name"] for entry in entries]))
        if not click.confirm("Add another account?", default=False):
            break
    accounts_file.write_new(path, entries, platforms, languages, overwrite=overwrite)
    click.echo(f"wrote {path} with {len(entries)} account(s); it loads as a run reads it")
    for entry in entries:
        if click.confirm(f"Store {entry['name']}'s password in the keyring now?", default=sys.stdin.isatty()):
            ctx.invoke(credentials_set, name=entry["name"], no_totp=False)
        else:
            click.echo(f"later: {accounts_file.next_step(entry['name'])}")


@main.group()
def accounts() -> None:
    """Add, list and remove accounts in the accounts file, keeping its comments."""


@accounts.command("add")
@click.argument("name")
@click.option("--platform", required=True, help="The platform (one a flow is registered for).")
@click.option("--login", required=True, help="What you type into the site's login field.")
@click.option("--email", required=True, help="The account's email address.")
@click.option("--country", default=None, help="Country of residence, ISO 3166 (else the file's [defaults]).")
@click.option("--language", default=None, help="The language the site shows it in (default: the country's).")
@click.option("--maildir", default=None, help="A local Maildir where its emails arrive.")
@click.pass_obj
@reports_errors
def accounts_add(app, name: str, **fields) -> None:
    """Add the account NAME to the accounts file (checked as a run reads it; comments kept)."""
    from automation import accounts_file

    platforms, languages = _known_lists()
    accounts_file.add(app.config, {"name": name, **fields}, platforms, languages)
    click.echo(f"added {name} to {Path(app.config).expanduser()}; next: {accounts_file.next_step(name)}")


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON: name, platform, login, email, country.")
@click.pass_obj
@reports_errors
def accounts_list(app, as_json: bool) -> None:
    """The accounts in the accounts file."""
    found = app.accounts().accounts
    if as_json:
        _echo_json([{"name": a.name, "platform": a.platform, "login": a.login, "email": a.email,
                     "country": a.country} for a in found])
        return
    for account in found:
        click.echo(f"{account.name} ({account.platform}): login {account.login}, {account.country}")


@accounts.command("remove")
@click.argument("name", shell_complete=_complete_accounts)
@click.pass_obj
@reports_errors
def accounts_remove(app, name: str) -> None:
    """Remove the account NAME from the accounts file (its secrets stay until `credentials delete NAME`)."""
    from automation import accounts_file

    platforms, languages = _known_lists()
    accounts_file.remove(app.config, name, platforms, languages)
    click.echo(f"removed {name} from {Path(app.config).expanduser()}; its secrets stay in the keyring until "
               f"`submit-objections credentials delete {name}`")


# -- schedule ----------------------------------------------------------------------------------------------------------

def _own_command() -> list[str]:
    """How this tool was started, to start it again from cron or systemd: its installed executable, else the
    interpreter and this script."""
    import shutil

    started = Path(sys.argv[0])
    if started.name == APP and started.is_file():
        return [str(started.absolute())]  # as installed (a pipx link stays valid when its target is reinstalled)
    found = shutil.which(APP)
    return [str(Path(found).absolute())] if found else [sys.executable, str(Path(__file__).resolve())]


@main.command()
@click.option("--print", "print_them", is_flag=True, help="Print a cron line and a systemd user timer and service.")
@click.pass_obj
def schedule(app, print_them: bool) -> None:
    """A weekly `status --check-mail` for your paths: as a cron line, or a systemd user timer and its service. It
    exits 9 when an objection is overdue (a month without an answer)."""
    from automation.schedule import schedule as make_schedule, text

    if not print_them:
        raise click.UsageError("schedule only prints them, for you to install: run `submit-objections schedule --print`")
    click.echo(text(make_schedule(_own_command(), app.config, app.archive)), nl=False)


# -- doctor ----------------------------------------------------------------------------------------------------------

@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON (keys in the README).")
@click.option("--no-launch", is_flag=True, help="Do not start the browser (only find it and ask its version).")
@click.pass_context
@reports_errors
def doctor(ctx: click.Context, as_json: bool, no_launch: bool) -> None:
    """Check everything a run needs, one line per check with how to fix it: the browser and whether it starts, the
    keyring, the accounts file, each account's secrets (whether they exist) and mailbox (a login, no message read),
    the state and archive folders' permissions, and the archive's chain. Exit 8 when a check fails."""
    from automation import doctor as checkup
    from automation.sessions import default_state_dir

    found = []
    for check in checkup.checks(ctx.obj, chromium=ctx.parent.params.get("chromium"), state_dir=default_state_dir(),
                                launch=not no_launch):
        found.append(check)
        if not as_json:
            click.echo(check.line())
    if as_json:
        _echo_json([check.record() for check in found])
    if checkup.failed(found):
        if not as_json:
            click.echo(f"{sum(check.status == 'fail' for check in found)} check(s) failed", err=True)
        ctx.exit(int(ExitCode.CHECK_FAILED))


# -- demo ------------------------------------------------------------------------------------------------------------

@main.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_DEMO,
              show_default=True, help="The demo's own folder (emptied each time; a folder holding other files is "
              "refused): its accounts file, ledger, sessions, the mock's records and mail, and the archive.")
@click.pass_context
@reports_errors
def demo(ctx: click.Context, folder: Path) -> None:
    """The whole job on a local mock of Meta (loopback only), for made-up accounts: nothing leaves this machine and
    nothing of yours is used. Stores their secrets in a throwaway keyring, files their objections, verifies the
    archive and prints its report. Exit 0 when every account ended as the demo intends, 1 when one did not."""
    try:
        from submit_objections_demo import demo as the_demo  # as installed
    except ModuleNotFoundError as error:
        if error.name != "submit_objections_demo":
            raise
        from fixtures import demo as the_demo  # a checkout not installed: the same package, by its folder's name
    ctx.exit(the_demo.run(folder, chromium=ctx.parent.params.get("chromium")))


if __name__ == "__main__":
    main()
