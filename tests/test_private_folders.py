"""The tool's folders are private, and a folder that was there before keeps its mode: an --archive in /tmp, or in
the user's Documents, must not close that folder to everyone else (once it made /tmp 0700 and locked Dovecot out)."""

from __future__ import annotations

import os
import stat

from automation.archive import make_private_dir


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folders_it_creates_are_0700_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        made = make_private_dir(tmp_path / "archive" / "anna" / "run")
    finally:
        os.umask(previous)
    assert [mode(folder) for folder in (made, made.parent, made.parent.parent)] == [0o700] * 3


def test_a_folder_that_was_there_keeps_its_mode(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # like /tmp
    made = make_private_dir(shared / "archive" / "anna")
    assert mode(shared) == 0o1777
    assert mode(made) == 0o700 and mode(made.parent) == 0o700
    make_private_dir(shared)  # named itself, as `--archive /tmp` would
    assert mode(shared) == 0o1777
