"""A toy site that is not Meta, with one complaint form, and its flow: a new site needs a flow and the registry
(SUBMIT_OBJECTIONS_FLOWS), nothing in the engine."""

from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from automation.steps import Branch, Capture, Case, FillForm, FormField, Goto, Outcome, Screenshot, Submit, button, text
from automation.wording import Wording
from flows.base import Flow

HOST = "forms.toy.test"
WORDING = Wording.load(Path(__file__).resolve().parent / "toy_wording")
FORM = """<!doctype html><html lang="en"><title>Complaints</title><h1>Tell the toy site</h1>
<form method="post" action="/complaint"><label for="m">Your email</label><input id="m" name="mail" type="email">
<label for="w">What is wrong?</label><textarea id="w" name="what"></textarea><button>Send</button></form></html>"""
THANKS = '<!doctype html><html lang="en"><p role="status">Thanks, we got your complaint.</p></html>'


def build(account, objection):
    return [
        Goto(url=f"https://{HOST}/complaint"),
        FillForm(purpose="the toy complaint form", fields=[
            FormField(name="email", label="email_field", structure="email", value=account.email),
            FormField(name="reason", label="reason_field", structure="textarea", value=objection),
        ]),
        Screenshot(name="filled-form"),
        Submit(target=button("send_button", fallback="submit")),
        Branch(purpose="after Send", timeout=10, cases=[Case(when=[text("confirmation")], steps=[
            Capture(target=text("confirmation"), record_as="confirmation_text"),
            Screenshot(name="confirmation"),
            Outcome(status="confirmed", reason="the toy site confirmed the complaint"),
        ])]),
    ]


FLOW = Flow(id="toy-complaint", platform="toy", title="Toy: file a complaint", site="the toy site", hosts=(HOST,),
            domains=("toy.test",), wording=WORDING, build=build,
            objection_text=lambda language: "I complain about the toy site, {name}, on {date}. " * 4)


class ToySite:
    """The toy site on loopback, speaking the mirror contract (MIRROR/<host><path>); it keeps what was posted."""

    def __init__(self):
        self.posted: list[dict] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body: str, status: int = 200):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send(FORM if self.path.startswith(f"/{HOST}/complaint") else "<p>no such page</p>",
                           200 if self.path.startswith(f"/{HOST}/complaint") else 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                site.posted.append(form)
                self._send(THANKS if form.get("mail") and form.get("what") else html.escape(json.dumps(form)))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
