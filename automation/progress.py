"""What the user sees while a run goes on: a live table in a terminal, plain lines anywhere else, or nothing (-q)."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from typing import Iterator

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from automation.jobs import AccountReport
from automation.report import outcome_label


class QuietProgress:
    def account_started(self, name: str) -> None:
        pass

    def step(self, name: str, description: str) -> None:
        pass

    def account_finished(self, report: AccountReport) -> None:
        pass

    @contextlib.contextmanager
    def shown(self) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        yield


class PlainProgress(QuietProgress):
    """One line per event on standard error, for logs and pipes."""

    def __init__(self, names: list[str]):
        self.total = len(names)
        self.done = 0
        self._lock = threading.Lock()

    def _say(self, text: str) -> None:
        with self._lock:
            click.echo(text, err=True)

    def account_started(self, name: str) -> None:
        self._say(f"[{self.done}/{self.total} done] {name}: started")

    def step(self, name: str, description: str) -> None:
        self._say(f"[{self.done}/{self.total} done] {name}: {description}")

    def account_finished(self, report: AccountReport) -> None:
        with self._lock:
            self.done += 1
        left = self.total - self.done
        self._say(f"[{self.done}/{self.total} done] {report.account}: {outcome_label(report.status)}"
                  f" ({left} left)")


class _AboveTheTable:
    """A stream for log records that prints each line through the console, above the live table while it is shown,
    instead of between two redraws, where the next redraw would erase it."""

    def __init__(self, console: Console):
        self.console = console

    def write(self, text: str) -> None:
        for line in text.rstrip("\n").split("\n"):
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def flush(self) -> None:
        pass


class LiveProgress(QuietProgress):
    """A table redrawn in place: each account's state and current step, and how many are left."""

    def __init__(self, names: list[str]):
        self.rows = {name: ["waiting", ""] for name in names}
        self._lock = threading.Lock()
        self._console = Console(stderr=True)
        self._live = self._new_live()

    def _new_live(self) -> Live:
        return Live(get_renderable=self._render, console=self._console, refresh_per_second=8, transient=True)

    def _render(self) -> Table:
        with self._lock:
            done = sum(1 for state, _ in self.rows.values() if state not in ("waiting", "running"))
            table = Table(title=f"submit-objections: {done} of {len(self.rows)} accounts done", title_justify="left",
                          show_edge=False, expand=True)
            table.add_column("account", no_wrap=True)
            table.add_column("state", no_wrap=True)
            table.add_column("step", overflow="ellipsis", no_wrap=True, ratio=1)
            for name, (state, step) in self.rows.items():
                table.add_row(name, state, step)
        return table

    def account_started(self, name: str) -> None:
        with self._lock:
            self.rows[name] = ["running", ""]

    def step(self, name: str, description: str) -> None:
        with self._lock:
            self.rows[name][1] = description

    def account_finished(self, report: AccountReport) -> None:
        with self._lock:
            self.rows[report.account] = [outcome_label(report.status), ""]

    @contextlib.contextmanager
    def shown(self) -> Iterator[None]:
        handlers = [handler for handler in logging.getLogger().handlers if type(handler) is logging.StreamHandler
                    and handler.stream in (sys.stderr, sys.__stderr__)]
        streams = [handler.setStream(_AboveTheTable(self._console)) for handler in handlers]
        self._live.start(refresh=True)
        try:
            yield
        finally:
            self._live.stop()
            for handler, stream in zip(handlers, streams):
                handler.setStream(stream)

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """Stops redrawing while the user types at a prompt; the table comes back below the prompt, which stays."""
        self._live.stop()
        try:
            yield
        finally:
            # A fresh Live: a restarted one would first move up over the lines of its last drawing, erasing the
            # prompt and whatever was printed since.
            self._live = self._new_live()
            self._live.start(refresh=True)


def progress_for(names: list[str], quiet: bool) -> QuietProgress:
    if quiet:
        return QuietProgress()
    return LiveProgress(names) if sys.stderr.isatty() else PlainProgress(names)
