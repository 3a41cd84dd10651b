"""One error tree and one table of exit codes.

Every error a user can fix is an `ExpectedError` and carries a hint saying how. Messages never contain a secret:
errors are built from names and paths, never from values typed into a page or read from the keyring.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # every account confirmed or already objected (in a rehearsal: every form reached and filled)
    INTERNAL = 1  # a bug: please report it
    CONFIG = 2  # bad configuration or usage: nothing was started
    NEEDS_OWNER = 3  # some accounts need their owner (checkpoint, code not received); none failed
    FAILED = 4  # some accounts failed, are not eligible, or the site's email refused the request
    FORM_CHANGED = 5  # the site showed a page or form the tool does not know; nothing was sent for those accounts
    UNSEALED = 6  # archive verify: sealed files intact, but some submissions are unsealed (a run was killed)
    EVIDENCE_CHANGED = 7  # archive verify: a sealed file or submission was changed or is missing
    CHECK_FAILED = 8  # doctor: a check failed (each line says how to fix it)
    OVERDUE = 9  # status --check-mail: a request is a month old without the site's answer
    INTERRUPTED = 130  # stopped with Ctrl-C


EXIT_CODE_TABLE = """\
Exit codes:
  0    every account is confirmed, honoured, already objected, or sent with the site's answer still to come
       (rehearsal: every form was filled)
  2    bad configuration or usage; nothing was sent
  3    some accounts need their owner (a checkpoint, a code that did not arrive); none failed
  4    some accounts failed, are not eligible in their region, or the site's email refused the objection
  5    the site showed a page or form the tool does not know: nothing was sent there; the evidence holds a
       page-snapshot.json to report (none failed otherwise)
  6    archive verify: every sealed file is intact, but some submissions are unsealed (a run was stopped before
       it sealed what it captured; the account's next run seals it)
  7    archive verify: a sealed file or submission was changed or is missing (this wins over 6)
  8    doctor: a check failed; its line says how to fix it
  9    status --check-mail: an objection is overdue (a month without the site's answer): complain
  130  interrupted (Ctrl-C)"""


class SubmitObjectionsError(Exception):
    """Root of every error this tool raises on purpose."""

    exit_code = ExitCode.INTERNAL


class ExpectedError(SubmitObjectionsError):
    """An error the user can fix; `hint` says how."""

    exit_code = ExitCode.CONFIG

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(ExpectedError):
    """The accounts file, a template or an option is wrong."""


class CredentialError(ExpectedError):
    """A secret is missing, or the keyring cannot be used safely."""


class BrowserNotFound(ExpectedError):
    """No Chromium could be found."""


class FlowError(SubmitObjectionsError):
    """A page did not look as the flow expected (the site changed it, or a step timed out)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
