"""Evidence of one account's run: screenshots and a receipt of exactly what was sent, when and where.

Layout: ARCHIVE/<account>/<UTC start time>/ with NN-<name>.png screenshots and receipt.json. Folders are 0700 and
files 0600, every file is written to a temporary name first and renamed, and no secret is ever passed in here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def make_private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Atomically write a 0600 file: a crash leaves the old file or none, never half of one."""
    temporary = path.with_name(f".{path.name}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class EvidenceFolder:
    """Created on first write, so a run that never reached a page leaves no empty folder behind."""

    def __init__(self, archive_root: Path, account: str, started: dt.datetime):
        self.path = archive_root / account / started.strftime("%Y-%m-%dT%H%M%SZ")
        self.screenshots: list[dict[str, str]] = []

    def _ensure(self) -> Path:
        make_private_dir(self.path.parent.parent)
        make_private_dir(self.path.parent)
        return make_private_dir(self.path)

    @property
    def exists(self) -> bool:
        return self.path.is_dir()

    def save_screenshot(self, name: str, png: bytes) -> Path:
        folder = self._ensure()
        target = folder / f"{len(self.screenshots) + 1:02d}-{name}.png"
        write_private(target, png)
        self.screenshots.append({"file": target.name, "name": name, "sha256": hashlib.sha256(png).hexdigest()})
        return target

    def save_file(self, name: str, data: bytes) -> Path:
        target = self._ensure() / name
        write_private(target, data)
        return target

    def write_receipt(self, receipt: dict[str, Any]) -> Path:
        folder = self._ensure()
        target = folder / "receipt.json"
        body = {**receipt, "screenshots": self.screenshots}
        write_private(target, (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        return target
