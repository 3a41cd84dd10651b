"""Evidence made readable: a zip for a complaint (with an index.html), and an HTML report of the whole archive.

Both are plain HTML with relative links, readable offline in any browser; nothing is fetched from anywhere.
"""

from __future__ import annotations

import html
import json
import zipfile
from pathlib import Path

from automation.archive import write_private
from automation.chain import manifests_in, submission_folders
from automation.errors import ConfigError
from automation.ledger import Entry

STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1c1e21}
section{border-top:1px solid #ccd;margin-top:2rem;padding-top:1rem}img{max-width:100%;border:1px solid #ccd}
pre{white-space:pre-wrap;background:#f4f5f7;padding:1rem}table{border-collapse:collapse}td,th{padding:.2rem .6rem;
text-align:left;vertical-align:top}code{word-break:break-all}"""


def receipt_of(folder: Path) -> dict:
    try:
        return json.loads((folder / "receipt.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def find_submission(archive: Path, submission: str) -> Path:
    folder = (archive / submission).resolve()
    if archive.resolve() not in folder.parents or not folder.is_dir() or folder.parent.parent != archive.resolve():
        known = ", ".join(str(f.relative_to(archive)) for f in submission_folders(archive)[-5:]) or "none"
        raise ConfigError(f"no submission {submission!r} in {archive}",
                          hint=f"IDs are ACCOUNT/TIME, as `archive list` shows them (latest: {known})")
    return folder


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def submission_html(folder: Path, link_prefix: str) -> str:
    receipt = receipt_of(folder)
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    shots = [name for name in files if name.endswith(".png")]
    others = [name for name in files if not name.endswith(".png")]
    timeline = [("started", receipt.get("started_at")), ("Send clicked", receipt.get("sent_at")),
                ("finished", receipt.get("finished_at"))]
    rows = "".join(f"<tr><th>{_e(label)}</th><td>{_e(value or '-')}</td></tr>" for label, value in timeline)
    fields = receipt.get("fields") or {}
    sent_text = fields.get("reason") or receipt.get("objection_text") or ""
    field_rows = "".join(f"<tr><th>{_e(key)}</th><td>{_e(value)}</td></tr>" for key, value in fields.items()
                         if key != "reason")
    manifests = []
    for manifest in manifests_in(folder):
        for entry in json.loads(manifest.read_text()).get("files", []):
            manifests.append(f"<tr><td>{_e(entry['name'])}</td><td><code>{_e(entry['sha256'])}</code></td></tr>")
    return f"""<section>
<h2>{_e(receipt.get('account', folder.parent.name))}: {_e(str(receipt.get('outcome', 'unfinished')).replace('_', ' '))}</h2>
<p>{_e(receipt.get('platform'))}, form {_e((receipt.get('form') or {}).get('address'))}
(variant {_e((receipt.get('form') or {}).get('variant'))}){' — sent' if receipt.get('sent') else ' — not sent'}.</p>
<table>{rows}</table>
<h3>The text sent</h3><pre>{_e(sent_text)}</pre>
<table>{field_rows}</table>
<h3>What Meta showed</h3><p>{_e(receipt.get('confirmation_text') or receipt.get('page_said') or receipt.get('reason'))}</p>
{''.join(f'<figure><img src="{_e(link_prefix + name)}" alt="{_e(name)}"><figcaption>{_e(name)}</figcaption></figure>'
         for name in shots)}
<h3>Files and their SHA-256</h3>
<ul>{''.join(f'<li><a href="{_e(link_prefix + name)}">{_e(name)}</a></li>' for name in others)}</ul>
<table>{''.join(manifests)}</table>
</section>"""


def page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1>{body}</body></html>\n")


def export(archive: Path, submissions: list[str], target: Path) -> Path:
    folders = [find_submission(archive, submission) for submission in submissions]
    intro = ("<p>Evidence of objections under GDPR Art. 21 to Meta's use of personal information for AI at Meta, "
             "recorded by submit-objections. Each file's SHA-256 is listed under its submission; each manifest also "
             "names the one before it, so that a changed or missing file shows.</p>")
    sections = [submission_html(folder, f"{folder.parent.name}/{folder.name}/") for folder in folders]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("index.html", page("Objection evidence", intro + "".join(sections)))
        for folder in folders:
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    bundle.write(path, f"{folder.parent.name}/{folder.name}/{path.name}")
    target.chmod(0o600)
    return target


def report(archive: Path, entries: list[Entry]) -> Path:
    status = {entry.account: entry for entry in entries}
    parts = []
    accounts = sorted({folder.parent.name for folder in submission_folders(archive)} | set(status))
    for account in accounts:
        entry = status.get(account)
        state = f"{entry.shown_status} since {entry.since}" if entry else "not in the ledger"
        parts.append(f"<h2 id=\"{_e(account)}\">{_e(account)}</h2><p>Status: {_e(state)}</p>")
        for folder in reversed([f for f in submission_folders(archive) if f.parent.name == account]):
            parts.append(submission_html(folder, f"{account}/{folder.name}/"))
    target = archive / "report.html"
    write_private(target, page("Objections to AI at Meta: the archive", "".join(parts)).encode("utf-8"))
    return target
