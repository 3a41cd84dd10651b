"""The one vocabulary of where a request stands: every outcome of a run and every state of the ledger, each with its
label, the exit code it adds up to, how the ledger spells it, and what the user does next.

Everything that prints, records or decides on a state reads it from here; the exit-code help and the README's
table are checked against it by a test. The commands a reason or hint tells the user to run are spelled here too,
once: flows and the engine name them by key (`command("credentials", account)`), never by their words.
"""

from __future__ import annotations

from dataclasses import dataclass

from automation.errors import ExitCode


# What the user runs to fix what a reason names; {name} is the account's name.
COMMANDS = {
    "credentials": "submit-objections credentials set {name}",  # store or replace its password, 2FA secret, mailbox
    "owner": "submit-objections --headed --account {name}",  # a visible browser: the owner passes the site's check
    "complain": "submit-objections archive complain {name}",  # a complaint to the data protection authority
}


def command(key: str, account: str) -> str:
    """The command line `key` names, for this account, to quote in a reason or hint."""
    return COMMANDS[key].format(name=account)


@dataclass(frozen=True)
class State:
    name: str  # the run's outcome as code and JSON spell it (confirmed, already_objected, ...)
    label: str  # what the table shows
    exit_code: ExitCode  # what an account in this state adds to the run's exit code
    ledger: str | None  # how the ledger records it; None: never recorded
    next_action: str  # what to do next; {name} is the account's name
    settled: bool = False  # a new run skips a request in this state unless --force


STATES: tuple[State, ...] = (
    State("confirmed", "confirmed", ExitCode.OK, "confirmed",
          "wait for the site's email (status --check-mail looks for it)", settled=True),
    State("submitted", "sent, awaiting the answer", ExitCode.OK, "submitted",
          "run again or status --check-mail: the page or the site's email settles it; nothing is sent twice"),
    State("honoured", "honoured", ExitCode.OK, "honoured", "nothing: the site says it honours the request",
          settled=True),
    State("refused", "refused", ExitCode.FAILED, "refused",
          f"refused: `{COMMANDS['complain']}` writes a complaint to your data protection authority, with the "
          "evidence zip beside it (as `archive export`); a new run files again only with --force", settled=True),
    State("already_objected", "already objected", ExitCode.OK, "already-objected",
          "nothing: the site says the request is in place", settled=True),
    # Requests whose effect the site shows at once and answers by no email (a setting switched off in an account):
    # nothing to wait for afterwards, so never overdue.
    State("done", "done", ExitCode.OK, "done", "nothing: the site shows the request in effect", settled=True),
    State("already_done", "already done", ExitCode.OK, "already-done",
          "nothing: the site showed the request already in effect, so nothing was done again", settled=True),
    State("rehearsed", "rehearsed", ExitCode.OK, None, "run without --rehearse to send it"),
    State("not_eligible", "not eligible", ExitCode.FAILED, "not-eligible",
          "nothing, unless you live where the request is offered (then fix 'country' and run again)"),
    State("needs_owner", "needs the owner", ExitCode.NEEDS_OWNER, "needs-owner",
          f"run `{COMMANDS['owner']}` and pass the site's check in the window"),
    State("form_changed", "form changed, nothing sent", ExitCode.FORM_CHANGED, "form-changed",
          "nothing was sent: report it with the page-snapshot.json in the last evidence folder (it holds no "
          "secret), and run again once the tool knows the new form"),
    State("failed", "failed", ExitCode.FAILED, "failed", "read the reason in the last receipt, fix it, run again"),
    State("interrupted", "interrupted", ExitCode.INTERRUPTED, None, "run again: nothing is sent twice"),
    State("submitting", "sending was cut short", ExitCode.OK, "submitting",
          "run again: the tool checks the site's page before sending anything"),
    State("overdue", "overdue", ExitCode.OK, None,
          f"no answer within a month (GDPR Art. 12(3)): `{COMMANDS['complain']}` writes a complaint to your data "
          "protection authority, with the evidence zip beside it (as `archive export`)"),
)

BY_NAME = {state.name: state for state in STATES}
BY_LEDGER = {state.ledger: state for state in STATES if state.ledger}
LEDGER_STATES = tuple(BY_LEDGER)
SETTLED_IN_LEDGER = {state.ledger for state in STATES if state.settled and state.ledger}
AWAITING_ANSWER = {"submitted", "confirmed"}  # ledger states that wait for the site's answer by email
# Exit codes besides a run's outcomes: bad configuration or usage, `archive verify` finding unsealed or changed
# submissions, `doctor` finding a check failed, `status --check-mail` finding a request overdue.
COMMAND_EXIT_CODES = (ExitCode.CONFIG, ExitCode.UNSEALED, ExitCode.EVIDENCE_CHANGED, ExitCode.CHECK_FAILED,
                      ExitCode.OVERDUE)
# Which exit code wins when accounts end differently: an interruption, then failures, then the rest.
EXIT_ORDER = (ExitCode.INTERRUPTED, ExitCode.FAILED, ExitCode.FORM_CHANGED, ExitCode.NEEDS_OWNER, ExitCode.OK)


def state(name: str) -> State:
    """A state by its outcome name or its ledger spelling."""
    return BY_NAME.get(name) or BY_LEDGER[name]


def label(name: str) -> str:
    found = BY_NAME.get(name) or BY_LEDGER.get(name)
    return found.label if found else name


def ledger_name(outcome: str) -> str | None:
    return BY_NAME[outcome].ledger


def next_action(name: str, account: str) -> str:
    return state(name).next_action.format(name=account)


def exit_code(outcomes: list[str], rehearsal: bool) -> ExitCode:
    """What a run's outcomes add up to. In a rehearsal, an account reaching 'confirmed' would be a bug, not a success."""
    codes = set()
    for outcome in outcomes:
        code = BY_NAME[outcome].exit_code
        if rehearsal and outcome not in ("rehearsed", "already_objected", "already_done") and code is ExitCode.OK:
            code = ExitCode.FAILED
        codes.add(code)
    return next((code for code in EXIT_ORDER if code in codes), ExitCode.OK)
