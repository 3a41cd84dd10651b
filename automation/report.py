"""The end-of-run summary: one row per account, the reasons below, and the exit code they add up to."""

from __future__ import annotations

from automation import outcomes
from automation.errors import ExitCode
from automation.jobs import AccountReport

def outcome_label(status: str) -> str:
    return outcomes.label(status)


def table(reports: list[AccountReport]) -> str:
    rows = [("ACCOUNT", "PLATFORM", "OUTCOME", "EVIDENCE")]
    rows += [(r.account, r.platform, outcome_label(r.status), str(r.evidence) if r.evidence else "-") for r in reports]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3] for row in rows]
    lines.append("")
    lines += [f"{r.account}: {r.reason}" + (f" (screenshot: {r.screenshot})" if r.screenshot else "") for r in reports]
    return "\n".join(lines)


def as_json(reports: list[AccountReport]) -> list[dict]:
    return [{
        "account": r.account,
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
