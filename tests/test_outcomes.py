"""One vocabulary of outcomes: the exit codes they add up to, and the README and --help saying the same."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from automation import outcomes
from automation.errors import EXIT_CODE_TABLE, ExitCode
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
    assert outcomes.SETTLED_IN_LEDGER == {"confirmed", "honoured", "refused", "already-objected"}
    readme = README.read_text()
    assert "skips requests that are confirmed, honoured, refused" in readme
