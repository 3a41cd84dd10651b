"""The end-of-run summary: one row per account and flow, the reasons below, and the exit code they add up to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from automation import outcomes
from automation.errors import ExitCode

if TYPE_CHECKING:  # automation.jobs drives the browser: `status` prints its table without importing Playwright
    from automation.jobs import AccountReport


def outcome_label(status: str) -> str:
    return outcomes.label(status)


def several_flows(accounts: list[str]) -> bool:
    """Whether some account has more than one row: only then does a table need a FLOW column to tell them apart."""
    return len(set(accounts)) < len(accounts)


def table(reports: list[AccountReport]) -> str:
    flows = several_flows([r.account for r in reports])
    rows = [("ACCOUNT", *(("FLOW",) if flows else ()), "PLATFORM", "OUTCOME", "EVIDENCE")]
    rows += [(r.account, *((r.flow,) if flows else ()), r.platform, outcome_label(r.status),
              str(r.evidence) if r.evidence else "-") for r in reports]
    last = len(rows[0]) - 1
    widths = [max(len(row[column]) for row in rows) for column in range(last)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:last], widths)) + "  " + row[last] for row in rows]
    lines.append("")
    lines += [f"{r.account}{f' ({r.flow})' if flows else ''}: {r.reason}"
              + (f" (screenshot: {r.screenshot})" if r.screenshot else "") for r in reports]
    return "\n".join(lines)


def as_json(reports: list[AccountReport]) -> list[dict]:
    return [{
        "account": r.account,
        "flow": r.flow,
        "platform": r.platform,
        "outcome": r.status,
        "outcome_label": outcome_label(r.status),
        "reason": r.reason,
        "evidence": str(r.evidence) if r.evidence else None,
        "screenshot": str(r.screenshot) if r.screenshot else None,
        "form_variant": r.details.get("form_variant"),
        "page_language": r.details.get("page_language"),
        "confirmation_text": r.details.get("confirmation_text"),
    } for r in reports]


def exit_code(reports: list[AccountReport], rehearsal: bool) -> ExitCode:
    return outcomes.exit_code([report.status for report in reports], rehearsal)
