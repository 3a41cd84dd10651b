"""One vocabulary of outcomes: the exit codes they add up to, the README and --help saying the same, and the words a
user reads for each state and error."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from automation import outcomes
from automation.errors import (EXIT_CODE_TABLE, ConfigError, CredentialError, ExitCode, ExpectedError, FlowError,
                               SubmitObjectionsError)
from automation.steps import Status

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_exit_codes() -> dict[int, str]:
    section = README.read_text().split("Exit codes:", 1)[1].split("\n## ", 1)[0]
    return {int(code): meaning.strip() for code, meaning in re.findall(r"^\| (\d+) \| (.+?) \|$", section, re.M)}


def help_exit_codes() -> set[int]:
    return {int(code) for code in re.findall(r"^  (\d+) ", EXIT_CODE_TABLE, re.M)}


def test_the_readme_and_help_list_every_exit_code_a_run_can_end_with():
    reachable = {int(state.exit_code) for state in outcomes.STATES} | {int(code) for code in outcomes.COMMAND_EXIT_CODES}
    assert set(readme_exit_codes()) == help_exit_codes() == reachable
    assert "page-snapshot.json" in readme_exit_codes()[int(ExitCode.FORM_CHANGED)]


def test_every_outcome_a_flow_can_end_in_has_a_label_an_exit_code_and_a_next_action():
    for status in typing.get_args(Status):
        state = outcomes.state(status)
        assert state.label and state.next_action and state.ledger, status
    assert outcomes.label("already-objected") == outcomes.label("already_objected") == "already objected"
    assert "--headed --account anna" in outcomes.next_action("needs-owner", "anna")


def test_the_readme_names_every_ledger_state():
    text = " ".join(README.read_text().split())
    for ledger_state in outcomes.LEDGER_STATES:
        assert f"`{ledger_state}`" in text, ledger_state


@pytest.mark.parametrize("ended, rehearsal, code", [
    (["confirmed", "submitted", "already_objected"], False, ExitCode.OK),
    (["confirmed", "form_changed"], False, ExitCode.FORM_CHANGED),
    (["form_changed", "failed"], False, ExitCode.FAILED),
    (["needs_owner", "form_changed"], False, ExitCode.FORM_CHANGED),
    (["needs_owner", "confirmed"], False, ExitCode.NEEDS_OWNER),
    (["not_eligible"], False, ExitCode.FAILED),
    (["failed", "interrupted"], False, ExitCode.INTERRUPTED),
    (["rehearsed", "already_objected"], True, ExitCode.OK),
    (["rehearsed", "confirmed"], True, ExitCode.FAILED),  # a rehearsal that sent something is not a success
    ([], False, ExitCode.OK),
])
def test_outcomes_add_up_to_one_exit_code(ended, rehearsal, code):
    assert outcomes.exit_code(ended, rehearsal) is code


def test_a_new_run_skips_exactly_the_requests_the_site_has_settled_a_refusal_included():
    """A refusal is answered with a complaint, not by filing again unasked: only --force files a settled request."""
    assert outcomes.SETTLED_IN_LEDGER == {"confirmed", "honoured", "refused", "already-objected", "done", "already-done"}
    readme = README.read_text()
    assert "skips requests that are confirmed, honoured, refused" in readme


# -- what a user reads for each state, word for word (each of these was a mutant of outcomes.py that lived) ----------


def test_a_state_is_found_by_its_outcome_name_or_its_ledger_spelling_and_an_unknown_one_is_an_error():
    already = outcomes.BY_NAME["already_objected"]
    assert outcomes.state("already_objected") is outcomes.state("already-objected") is already
    assert outcomes.state("needs-owner").exit_code is ExitCode.NEEDS_OWNER
    with pytest.raises(KeyError):
        outcomes.state("no-such-state")


def test_the_status_table_shows_each_states_label_and_an_unknown_status_as_it_is():
    assert outcomes.label("form-changed") == outcomes.label("form_changed") == "form changed, nothing sent"
    assert outcomes.label("submitting") == "sending was cut short"
    assert outcomes.label("overdue") == "overdue"
    assert outcomes.label("written-by-a-newer-version") == "written-by-a-newer-version"


def test_the_ledger_records_each_outcome_in_its_own_spelling_and_never_a_rehearsal():
    assert outcomes.ledger_name("already_objected") == "already-objected"
    assert outcomes.ledger_name("needs_owner") == "needs-owner"
    assert outcomes.ledger_name("rehearsed") is None and outcomes.ledger_name("interrupted") is None


def test_a_hint_names_the_command_to_run_for_that_account():
    assert outcomes.command("credentials", "anna") == "submit-objections credentials set anna"
    assert outcomes.command("owner", "bob.ig") == "submit-objections --headed --account bob.ig"
    assert outcomes.next_action("needs_owner", "anna") == (
        "run `submit-objections --headed --account anna` and pass the site's check in the window")
    assert outcomes.next_action("failed", "anna") == "read the reason in the last receipt, fix it, run again"


@pytest.mark.parametrize("ended, code", [
    (["rehearsed"], ExitCode.OK),
    (["already_objected"], ExitCode.OK),
    (["submitted"], ExitCode.FAILED),  # a rehearsal never sends: 'sent' in one is a bug
    (["honoured"], ExitCode.FAILED),
    (["needs_owner"], ExitCode.NEEDS_OWNER),  # not OK to begin with: stays what it is
    (["form_changed", "rehearsed"], ExitCode.FORM_CHANGED),
    (["interrupted", "rehearsed"], ExitCode.INTERRUPTED),
])
def test_in_a_rehearsal_only_a_rehearsed_or_already_objected_account_is_a_success(ended, code):
    assert outcomes.exit_code(ended, rehearsal=True) is code


def test_outside_a_rehearsal_every_ok_outcome_stays_ok():
    for state in outcomes.STATES:
        if state.exit_code is ExitCode.OK:
            assert outcomes.exit_code([state.name], rehearsal=False) is ExitCode.OK, state.name
    assert outcomes.exit_code(["needs_owner", "refused"], rehearsal=False) is ExitCode.FAILED


# -- the errors a user reads: message, hint, exit code -------------------------------------------------------------


def test_an_expected_error_reads_its_message_then_its_hint_on_a_line_of_its_own():
    error = ConfigError("accounts.toml:3: account 'anna': field 'email' is not an email address", hint="fix it")
    assert str(error) == "accounts.toml:3: account 'anna': field 'email' is not an email address\n  hint: fix it"
    assert error.message == "accounts.toml:3: account 'anna': field 'email' is not an email address"
    assert error.hint == "fix it" and error.args == (error.message,)
    plain = CredentialError("the keyring is locked")
    assert str(plain) == plain.message == "the keyring is locked" and plain.hint is None
    assert str(ExpectedError("x", hint="")) == "x", "an empty hint adds no hint line"
    assert ConfigError("x").exit_code is ExitCode.CONFIG == 2


def test_a_flow_error_carries_the_reason_the_receipt_gives():
    error = FlowError("could not find the Send button on https://www.facebook.com/help/contact/")
    assert error.message == str(error) == "could not find the Send button on https://www.facebook.com/help/contact/"
    assert isinstance(error, SubmitObjectionsError) and error.exit_code is ExitCode.INTERNAL
