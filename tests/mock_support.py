"""A running mock of Meta and readers for what it recorded: shared by the mock's own tests and the end-to-end tests."""

from __future__ import annotations

import http.client
import json
import mailbox
import re
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

from automation.browser import new_context
from flows.meta_common import DOMAINS
from fixtures.mock_meta import MockMeta
from fixtures.mock_meta.texts import all_texts

CODE_SUBJECTS = all_texts("mail_code_subject")  # the code mail's subject in every language the mock speaks


def raw_request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                           headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode("utf-8")
    finally:
        connection.close()


def mirrored_page(browser, mock_url: str):
    """A page whose requests to Meta's hosts are answered by the mock, through the tool's own mirror routing."""
    context = new_context(browser, mock_url, domains=DOMAINS)
    context.set_default_timeout(10_000)
    return context, context.new_page()


class MockRecords:
    """What a mock of Meta recorded in its state folder (requests, events, submissions, mail), read back; also after
    it stopped, as a shared world's tests do (promises_support.once)."""

    def __init__(self, state: Path):
        self.state = state

    def lines(self, name: str) -> list[dict]:
        path = self.state / name
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []

    def events(self, kind: str | None = None, login: str | None = None) -> list[dict]:
        return [e for e in self.lines("events.jsonl")
                if (kind is None or e["event"] == kind) and (login is None or e.get("login") == login)]

    def submissions(self, login: str | None = None) -> list[dict]:
        return [s for s in self.lines("submissions.jsonl") if login is None or s["login"] == login]

    def requests(self) -> list[dict]:
        return self.lines("requests.jsonl")

    def maildir(self, address: str) -> Path:
        return self.state / "mail" / address

    def mails(self, address: str) -> list:
        path = self.maildir(address)
        if not path.exists():
            return []
        return [message_from_bytes(box.get_bytes(key), policy=policy.default)
                for box in [mailbox.Maildir(path, create=False)] for key in box.keys()]

    def codes(self, address: str) -> set[str]:
        """The 6-digit codes mailed to address, whatever the account's language."""
        found = set()
        for mail in self.mails(address):
            if mail["Subject"] in CODE_SUBJECTS:
                found.update(re.findall(r"(?<!\d)(\d{6})(?!\d)", mail.get_body(("plain",)).get_content()))
        return found


class RunningMock(MockRecords):
    """A started MockMeta (loopback, its own thread) plus readers for its records, mail and control endpoints."""

    def __init__(self, accounts: Path, state: Path, **options):
        super().__init__(state)
        self.accounts = accounts
        self.mock = MockMeta(accounts, state, **options)
        self.url = self.mock.start()

    def stop(self) -> None:
        self.mock.stop()

    def control(self, action: str) -> dict:
        status, _, body = raw_request(self.url + "/__mock__/" + action, "POST")
        assert status == 200
        return json.loads(body)
