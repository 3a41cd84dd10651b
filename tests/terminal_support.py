"""The CLI at a real pseudo-terminal, as a person runs it, and what that terminal shows.

pexpect starts the CLI as the leader of a new session whose controlling terminal is the pty, so the CLI and every
process it starts in its own process group are the terminal's foreground group: a Ctrl-C typed here (the terminal's
interrupt character, not a signal sent to one process) reaches all of them at once, exactly as in a shell. A thread
drains the pty all the time, as a terminal does, into pyte, a terminal emulator: the tests read the screen (and
what scrolled off it) as a person would see it, after every redraw of the live table, not the raw byte stream.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Callable

import pexpect
import pyte

from conftest import CLI, ROOT

CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # a terminal's control sequence: colour, cursor, erasing


def until(condition: Callable[[], object], timeout: float, what: str | Callable[[], str], poll: float = 0.1):
    """Polls `condition` until it returns something true, and returns that; fails saying `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what() if callable(what) else what}")
        time.sleep(poll)


def _as_a_shell_starts_it() -> None:
    """A shell gives its foreground job the default Ctrl-C. Without this the CLI would inherit whatever the test run
    was started with: a CI job or `make test &` started by a non-interactive shell ignores SIGINT, a disposition every
    child inherits, and a Python started with SIGINT ignored never turns Ctrl-C into KeyboardInterrupt."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """One run of the CLI at a pty of `rows` x `columns`, shown on an emulated screen."""

    def __init__(self, cli, args: list[str], rows: int = 60, columns: int = 200):
        env = {**cli.env, "TERM": "xterm-256color"}
        self._screen = pyte.HistoryScreen(columns, rows, history=5000)
        self._stream = pyte.Stream(self._screen)
        self._lock = threading.Lock()
        self.drawn: list[str] = []  # every line the screen showed at some moment, once each, in order
        self.raw: list[str] = []  # what the CLI wrote, as it wrote it (for a failing test's report)
        self._seen: set[str] = set()
        self.child = pexpect.spawn(CLI[0], [*CLI[1:], *args], env=env, cwd=str(ROOT), dimensions=(rows, columns),
                                   encoding="utf-8", codec_errors="replace", preexec_fn=_as_a_shell_starts_it)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            except (pexpect.EOF, OSError, ValueError):
                return
            with self._lock:
                self.raw.append(data)
                self._stream.feed(data)
                for line in self._screen.display:
                    line = line.rstrip()
                    if line and line not in self._seen:
                        self._seen.add(line)
                        self.drawn.append(line)

    def lines(self) -> list[str]:
        """What the terminal shows now, with what scrolled off its top above it."""
        with self._lock:
            screen = self._screen
            scrolled = ["".join(line[column].data for column in range(screen.columns)) for line in screen.history.top]
            return [line.rstrip() for line in scrolled + list(screen.display)]

    def text(self) -> str:
        return "\n".join(self.lines()).rstrip("\n")

    def final_table(self) -> str:
        """The table the run printed when it ended, from its header on, as printed: lines longer than the terminal
        is wide are shown wrapped, and read here whole."""
        printed = "".join(self.raw)
        start = printed.rfind("ACCOUNT ")
        assert start >= 0, f"no final table; the terminal shows:\n{self.text()}"
        return CONTROL.sub("", printed[start:]).replace("\r\n", "\n")

    def shows(self, *texts: str) -> bool:
        shown = self.text()
        return all(text in shown for text in texts)

    def wait_for(self, *texts: str, timeout: float = 60) -> str:
        """Waits until the terminal shows every one of `texts`; returns what it shows."""
        until(lambda: self.shows(*texts), timeout, lambda: f"the terminal to show {texts!r}; it shows:\n{self.text()}")
        return self.text()

    def table_rows(self) -> list[tuple[str, str, str]]:
        """Every row the live table showed: (account, state, step), in the order first drawn."""
        rows = []
        with self._lock:
            for line in self.drawn:
                cells = [cell.strip() for cell in line.split("│")]
                if len(cells) == 3 and cells[0]:
                    rows.append((cells[0], cells[1], cells[2]))
        return rows

    def prompt(self, name: str, timeout: float = 60) -> str:
        """Waits for a question to `name`'s owner (the line "NAME: ...:" with the cursor after it); returns it."""
        def asking() -> str | None:
            lines = [line for line in self.lines() if line.strip()]
            last = lines[-1] if lines else ""
            return last if last.startswith(f"{name}: ") and last.endswith(":") else None

        return until(asking, timeout, lambda: f"a question for {name}; the terminal shows:\n{self.text()}")

    def type(self, line: str) -> None:
        """Types a line and Enter, as a person does (Enter sends a carriage return)."""
        self.child.send(line + "\r")

    def ctrl_c(self) -> None:
        """Types Ctrl-C: the terminal sends SIGINT to its whole foreground process group."""
        self.child.sendintr()

    def echoes(self) -> bool:
        """Whether the terminal echoes what is typed (a prompt for a secret turns that off while it asks)."""
        import termios

        return bool(termios.tcgetattr(self.child.child_fd)[3] & termios.ECHO)

    def finish(self, timeout: float = 120) -> int:
        """Waits until the CLI and everything still holding the terminal are gone; returns the CLI's exit code
        (128 + N when signal N ended it)."""
        self._reader.join(timeout)
        if self._reader.is_alive():
            self.close()
            raise AssertionError(f"the CLI did not finish within {timeout:g} s; the terminal shows:\n{self.text()}")
        self.child.wait()
        return self.child.exitstatus if self.child.exitstatus is not None else 128 + self.child.signalstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)


def reason_line(table: str, name: str) -> str:
    """The line below a final table that gives `name`'s reason."""
    found = [line for line in table.splitlines() if line.startswith(f"{name}: ")]
    assert found, f"no reason for {name} below the table:\n{table}"
    return found[0]


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds `marker` (a value unique to one test's CLI): the CLI and all it
    started, in whatever session or process group they are."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found
