"""Playwright traces on request (--trace), without a password, code or session cookie in them.

A trace records what was typed, the page's DOM with its input values, and every request with its cookies and body.
So the recording is paused from the moment a secret is typed until the page navigates away, and each saved chunk is
rewritten before it is kept: cookie headers and request bodies are dropped from its network log, and every value the
run typed as a secret or holds as a cookie is replaced in every file of it. Chunks are 0600 files in a 0700 folder.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path
from urllib.parse import quote, quote_plus

from playwright.sync_api import BrowserContext

from automation.archive import make_private_dir, write_private

log = logging.getLogger(__name__)

REMOVED = "[removed]"
DROPPED_HEADERS = {"cookie", "set-cookie", "authorization"}


class Tracer:
    def __init__(self, context: BrowserContext, folder: Path):
        self.context = context
        self.folder = folder
        self.recording = False
        self.secrets: set[str] = set()
        self.files: list[Path] = []
        context.tracing.start(snapshots=True, screenshots=False, sources=False)

    def remember_secret(self, value: str) -> None:
        """Held in memory only, to be cut out of what is saved."""
        if value:
            self.secrets.add(value)

    def resume(self) -> None:
        if not self.recording:
            self.context.tracing.start_chunk()
            self.recording = True

    def pause(self) -> None:
        if not self.recording:
            return
        self.recording = False
        make_private_dir(self.folder.parent)
        make_private_dir(self.folder)
        raw = self.folder / f".chunk-{len(self.files) + 1:02d}.raw"
        self.context.tracing.stop_chunk(path=raw)
        try:
            target = self.folder / f"trace-{len(self.files) + 1:02d}.zip"
            write_private(target, self._scrubbed(raw))
            self.files.append(target)
        finally:
            raw.unlink(missing_ok=True)

    def close(self) -> None:
        self.pause()
        self.context.tracing.stop()

    def _scrubbed(self, raw: Path) -> bytes:
        values = self.secrets | {cookie["value"] for cookie in self.context.cookies() if len(cookie["value"]) >= 4}
        needles = {form.encode() for value in values for form in (value, quote(value, safe=""), quote_plus(value))}
        dropped_bodies: set[str] = set()
        members: dict[str, bytes] = {}
        with zipfile.ZipFile(raw) as source:
            for name in source.namelist():
                members[name] = source.read(name)
        for name, data in members.items():
            if name.endswith(".network"):
                members[name] = _without_cookies_and_bodies(data, dropped_bodies)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for name, data in members.items():
                if name in dropped_bodies:
                    continue
                for needle in needles:
                    data = data.replace(needle, REMOVED.encode())
                target.writestr(name, data)
        return buffer.getvalue()


def _without_cookies_and_bodies(data: bytes, dropped_bodies: set[str]) -> bytes:
    lines = []
    for line in data.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        snapshot = event.get("snapshot", {})
        for part in (snapshot.get("request"), snapshot.get("response")):
            if not isinstance(part, dict):
                continue
            part["cookies"] = []
            part["headers"] = [h for h in part.get("headers", []) if h.get("name", "").lower() not in DROPPED_HEADERS]
        request = snapshot.get("request")
        if isinstance(request, dict) and "postData" in request:
            body_file = request["postData"].get("_file")
            if body_file:
                dropped_bodies.add(body_file)
            request["postData"] = {"mimeType": request["postData"].get("mimeType", ""), "text": REMOVED}
        lines.append(json.dumps(event).encode())
    return b"\n".join(lines) + b"\n"
