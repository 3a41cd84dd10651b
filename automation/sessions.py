"""Saved browser sessions, one per account, so that a second run logs in as rarely as a person would.

Each is Playwright's storage state (cookies and local storage) in STATE/sessions/<account>.json: a 0600 file in a
0700 folder under the user's state directory, never in the archive or the project. A session is only ever loaded
into its own account's browser context.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import platformdirs

from automation.archive import make_private_dir, write_private

log = logging.getLogger(__name__)


def default_state_dir() -> Path:
    chosen = os.environ.get("SUBMIT_OBJECTIONS_STATE_DIR")
    return Path(chosen).expanduser() if chosen else platformdirs.user_state_path("submit-objections")


class SessionStore:
    def __init__(self, state_dir: Path):
        self.folder = state_dir / "sessions"

    def path(self, account: str) -> Path:
        return self.folder / f"{account}.json"

    def load(self, account: str) -> dict | None:
        path = self.path(account)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("%s: the saved session could not be read; logging in afresh", account)
            return None

    def save(self, account: str, state: dict) -> None:
        make_private_dir(self.folder.parent)
        make_private_dir(self.folder)
        write_private(self.path(account), json.dumps(state).encode("utf-8"))

    def delete(self, account: str) -> bool:
        try:
            self.path(account).unlink()
            return True
        except FileNotFoundError:
            return False
