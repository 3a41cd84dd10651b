"""One expensive run shared by every test of a module, even when xdist spreads those tests over several workers.

pytest-xdist's `xdist_group` would keep them on one worker, but with pytest 9 it no longer takes effect (it renames
node ids, which pytest 9 no longer allows), so a module fixture would run once per worker. Here the first worker to
get there does the run under a file lock, writes what the tests read into the shared temporary folder, and the
others read it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable


def shared_folder(tmp_path_factory, name: str) -> Path:
    """A folder every worker of this test session sees (one session's, never an earlier session's)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent / f"shared-{os.environ.get('PYTEST_XDIST_TESTRUNUID', 'run')}"
    folder = base / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def once(tmp_path_factory, name: str, build: Callable[[Path], dict]) -> tuple[Path, dict]:
    """(folder, what `build(folder)` returned): built by one worker, read by all. A failed build is tried again by the
    next worker, and fails there the same way."""
    folder = shared_folder(tmp_path_factory, name)
    result = folder / "result.json"
    with open(folder.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
            folder.mkdir()
            built = build(folder)
            result.write_text(json.dumps(built))
    return folder, json.loads(result.read_text())


def finished(done: subprocess.CompletedProcess) -> dict:
    return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def as_finished(kept: dict) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess([], kept["returncode"], kept["stdout"], kept["stderr"])
