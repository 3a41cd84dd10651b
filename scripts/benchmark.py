"""Speed and memory of a real run on the bundled mock: `.venv/bin/python scripts/benchmark.py [ACCOUNTS]`.

Runs the CLI over ACCOUNTS (default 6) Facebook accounts one after another, then three at a time, and measures wall
time and the peak resident memory of the CLI with every process it starts (Playwright's driver, Chromium).
Each page of the mock answers after 300 ms, as Meta's would over the internet: waiting is what running accounts at
once overlaps (against an instant mock, two cores are simply busy). Targets (for this project's 2-core machines): at
most 12 s per account one after another; three at a time at least 1.3 times as fast; at most 2 GiB (PSS) at once.
Exits 1 when a target is missed. Loopback only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from e2e_support import Person, mock_accounts, write_tool_accounts  # noqa: E402
from fixtures.private_keyring import PrivateKeyring  # noqa: E402
from fixtures.processes import descendants  # noqa: E402
from mock_support import RunningMock  # noqa: E402

SECONDS_PER_ACCOUNT = 12.0
CONCURRENCY_SPEEDUP = 1.3
LATENCY_MS = 300  # each page of the mock answers after this long, as Meta's would over the internet
PEAK_MEMORY = 2 * 1024**3


def resident_bytes(pids: list[int]) -> int:
    """Proportional set size: memory Chromium's processes share is counted once, not once per process."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def timed_run(command: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, resident_bytes([process.pid, *descendants(process.pid)]))
        time.sleep(0.1)
    return time.monotonic() - started, peak, process.returncode


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        results = {}
        keyring = PrivateKeyring(work / "keyring")
        env = {**os.environ, **keyring.start(), "SUBMIT_OBJECTIONS_PAUSE": "0",
               "SUBMIT_OBJECTIONS_KEYRING_SERVICE": "submit-objections-benchmark"}
        try:
            for concurrency in (1, 3):
                people = [Person(f"bench{concurrency}-{n}", form_variant="2025", maildir=False) for n in range(count)]
                (work / f"mock-{concurrency}.toml").write_text(
                    mock_accounts(people).replace("[site]\n", f"[site]\nlatency_ms = {LATENCY_MS}\n", 1))
                mock = RunningMock(work / f"mock-{concurrency}.toml", work / f"state-{concurrency}")
                config = write_tool_accounts(work / f"accounts-{concurrency}.toml", people, mock.state)
                run_env = {**env, "XDG_DATA_HOME": str(work / f"data-{concurrency}"),
                           "SUBMIT_OBJECTIONS_STATE_DIR": str(work / f"sessions-{concurrency}")}
                for person in people:
                    subprocess.run([sys.executable, "-m", "cli", "--config", str(config), "credentials", "set",
                                    person.name], input=person.password + "\n", text=True, env=run_env, cwd=ROOT,
                                   check=True, capture_output=True)
                command = [sys.executable, "-m", "cli", "--config", str(config), "--mirror", mock.url, "--archive",
                           str(work / f"archive-{concurrency}"), "--concurrency", str(concurrency), "-q"]
                seconds, peak, code = timed_run(command, run_env)
                filed = len(mock.submissions())
                mock.stop()
                if code != 0 or filed != count:
                    print(f"concurrency {concurrency}: the run failed (exit {code}, {filed} of {count} filed)")
                    return 1
                results[concurrency] = (seconds, peak)
                print(f"concurrency {concurrency}: {count} accounts in {seconds:.1f} s "
                      f"({seconds / count:.1f} s each), peak memory {peak / 1024**2:.0f} MiB")
        finally:
            keyring.stop()
    checks = [
        ("seconds per account, one after another", results[1][0] / count, SECONDS_PER_ACCOUNT, "<="),
        ("speed-up with three at a time", results[1][0] / results[3][0], CONCURRENCY_SPEEDUP, ">="),
        ("peak memory (PSS), three at a time (MiB)", results[3][1] / 1024**2, PEAK_MEMORY / 1024**2, "<="),
    ]
    missed = 0
    for name, value, target, sense in checks:
        ok = value <= target if sense == "<=" else value >= target
        missed += not ok
        print(f"{'ok  ' if ok else 'MISS'} {name}: {value:.2f} (target {sense} {target:g})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
