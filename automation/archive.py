"""Evidence of one account's run of one flow: screenshots and a receipt of exactly what was sent, when and where.

Layout: ARCHIVE/<account>/<UTC start time>-<flow id>/ with NN-<name>.png screenshots and receipt.json, so that two
flows of one account never share a folder, and a submission's ID (ACCOUNT/FOLDER) says which request it is. Folders
written before the name carried the flow (ARCHIVE/<account>/<UTC start time>/) belong to their platform's flow of
that time, which only the caller knows (`legacy_flow`). Folders are 0700 and files 0600, every file is written to a
temporary name first and renamed, and no secret is ever passed in here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Callable

STAMP = "%Y-%m-%dT%H%M%SZ"  # a submission folder's name starts with its run's start time (UTC), so names sort by it
_FOLDER_NAME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{6}Z(?:-(?P<flow>.+))?")
_FLOW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

LegacyFlow = Callable[[str], "str | None"]  # platform -> the flow its records from before flows were named belong to


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def make_private_dir(path: Path) -> Path:
    """`path` and its missing parents, for the tool's files: each folder created here is 0700, whatever the umask.
    A folder that exists already keeps its mode: it may be the user's own (the --archive they named, /tmp), and
    the tool's files and folders inside it are private anyway; `doctor` names one that others can read."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for folder in missing:
        os.chmod(folder, 0o700)
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


def submission_name(started: dt.datetime, flow: str) -> str:
    """The folder name of a run of `flow` started at `started`: its UTC start time, then the flow's id."""
    if not _FLOW_ID.fullmatch(flow):
        raise ValueError(f"a flow id must be letters, digits, '.', '_' and '-': {flow!r}")
    return f"{started.strftime(STAMP)}-{flow}"


def named_flow(folder: Path) -> str | None:
    """The flow a submission folder's name carries; None for a folder named before names carried it."""
    match = _FOLDER_NAME.fullmatch(folder.name)
    return match["flow"] if match else None


def flow_of(folder: Path, legacy_flow: LegacyFlow | None, platform: str | None = None) -> str | None:
    """The flow a submission belongs to: the one its name carries, or for an older folder the one `legacy_flow`
    names for the platform its receipt records (`platform` stands in when it has no receipt). None: not known."""
    named = named_flow(folder)
    if named is not None:
        return named
    try:
        platform = json.loads((folder / "receipt.json").read_text(encoding="utf-8")).get("platform") or platform
    except (OSError, ValueError, AttributeError):
        pass
    return legacy_flow(platform) if legacy_flow is not None and platform else None


def belongs_to(folder: Path, flow: str, legacy: bool) -> bool:
    """Whether a submission folder is a run of `flow`; an older folder (no flow in its name) is when `legacy`, that
    is when `flow` is the one its account's platform filed with before names carried the flow."""
    named = named_flow(folder)
    return named == flow if named is not None else legacy


class EvidenceFolder:
    """Created on first write, so a run that never reached a page leaves no empty folder behind."""

    def __init__(self, archive_root: Path, account: str, flow: str, started: dt.datetime):
        self.path = archive_root / account / submission_name(started, flow)
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
